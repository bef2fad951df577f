/** What {@link listen} takes: where to listen, who may log in, and what a login may do. */
import type { Duplex } from 'node:stream'
import type { Channel, PrivateKey, PublicKey, ServerAuthMethod, ServerChannel, ServerInteractiveQuery, ServerRoleOptions, TransportOptions } from '@x/transport'
import type { AuthorizedKeys } from '../authorized-keys/authorized-keys.js'
import type { KeyRestrictions, PermitUserEnvironment } from '../authorized-keys/restrictions.js'
import type { SessionUser } from '../process/user.js'
import type { SftpSubsystemHandler } from '../sftp/sftp-server.js'
import type { ServerLogEvent } from './server-log.js'

/** A value or a promise of it. */
export type Awaitable<T> = T | Promise<T>

/** One end of a TCP connection. */
export interface Endpoint {
  readonly address: string
  readonly port: number
}

/** Who is logged in on one connection, and what they may do: handed to every handler. */
export interface LoginContext {
  /** The user name the client authenticated as. */
  readonly username: string
  /** The methods that passed, in order (e.g. ['publickey', 'keyboard-interactive']). */
  readonly methods: readonly ServerAuthMethod[]
  /** The public key that passed, when publickey was one of them. */
  readonly key: PublicKey | undefined
  /** What authorized_keys options (or nothing: {@link KeyRestrictions.none}) allow this login. */
  readonly restrictions: KeyRestrictions
  /** The client's end of the connection. */
  readonly remote: Endpoint
  /** Our end of the connection. */
  readonly local: Endpoint
  /** The client's version line. */
  readonly clientVersion: string
  /** Aborted when the connection ends. */
  readonly signal: AbortSignal
}

/** What a session handler is told about the session it runs. */
export interface SessionRequest {
  /** What started it: a shell, an exec (with `command`) or a subsystem (with `subsystem`). */
  readonly kind: 'shell' | 'exec' | 'subsystem'
  /** The command to run: the client's, or the forced one (authorized_keys `command=`). */
  readonly command: string | undefined
  /** The client's own command (or subsystem name) when a forced command replaced it: SSH_ORIGINAL_COMMAND. */
  readonly originalCommand: string | undefined
  /** The subsystem name of a subsystem request that was not replaced by a forced command. */
  readonly subsystem: string | undefined
  /** The login this session belongs to. */
  readonly login: LoginContext
  /** Opens a channel to the client's agent, when the client forwards it and the policy allowed it. */
  readonly openAgentChannel: (() => Promise<Channel>) | undefined
}

/**
 * Runs one session channel (shell, exec or subsystem). The channel is ended when the returned
 * promise settles, if the handler did not end it (a throw ends it with exit status 1).
 */
export type SessionHandler = (channel: ServerChannel, request: SessionRequest) => Awaitable<void>

/** A tcpip-forward listener made by {@link ForwardingPolicy.listen}. */
export interface RemoteListener {
  /** The port it listens on. */
  readonly port: number
  /** Stops listening (cancel-tcpip-forward, or the connection's end). */
  close(): void
}

/** A forwarding decision: a fixed answer or a callback per request. */
export type ForwardDecision<A extends unknown[]> = boolean | ((login: LoginContext, ...args: A) => Awaitable<boolean>)

/**
 * Which forwardings are allowed; every kind is refused unless allowed here, and
 * authorized_keys options (no-port-forwarding, restrict, permitopen=, permitlisten=) are applied
 * on top, so a callback cannot forget them.
 */
export interface ForwardingPolicy {
  /** direct-tcpip opens (`ssh -L`, `-W`, `-D`): the server connects to `host:port`. */
  readonly local?: ForwardDecision<[host: string, port: number]> | undefined
  /** tcpip-forward requests (`ssh -R`): the server listens on `address:port` (0: a free port). */
  readonly remote?: ForwardDecision<[address: string, port: number]> | undefined
  /**
   * Makes the connection of an allowed direct-tcpip open, instead of a TCP connection to
   * `host:port` (e.g. to reach names only the server knows, or a Unix socket).
   */
  readonly connect?: ((login: LoginContext, host: string, port: number) => Awaitable<Duplex>) | undefined
  /**
   * Makes the listener of an allowed tcpip-forward request, instead of a TCP listener on this
   * machine (a router asks the host it routes to). For each connection the listener takes,
   * `open(origin)` opens the forwarded-tcpip channel to the client. Resolves with the port
   * bound (the asked one, or the one chosen for port 0) and how to stop, or false to refuse.
   */
  readonly listen?: ((login: LoginContext, address: string, port: number, open: (origin: readonly [string, number]) => Promise<Channel>) => Awaitable<RemoteListener | false>) | undefined
  /** auth-agent-req (`ssh -A`): `'process'` sessions get an SSH_AUTH_SOCK reaching the client's agent. */
  readonly agent?: ForwardDecision<[]> | undefined
  /**
   * Unix-socket forwarding (sshd's AllowStreamLocalForwarding): each direction refused unless
   * allowed here, and always refused for a key with no-port-forwarding or restrict (without
   * port-forwarding); permitopen= and permitlisten= do not apply to paths.
   */
  readonly streamLocal?: StreamLocalPolicy | undefined
}

/**
 * Which Unix-socket forwardings are allowed, and how listeners are made (OpenSSH PROTOCOL §2.4).
 * Paths must be absolute: sshd resolves relative ones against its own working directory, which
 * no client can know, so they are refused. Sockets are connected to, made and removed as the
 * login's account (the one `'process'` sessions run as, see {@link ListenOptions.runAs}), so the
 * kernel checks that account's permissions on the path, as under sshd; a server that is not root
 * can only act as itself.
 */
export interface StreamLocalPolicy {
  /**
   * direct-streamlocal@openssh.com opens (`ssh -L local.sock:/remote.sock`, `-L port:/remote.sock`):
   * the server connects to `socketPath`. A connect that fails (no socket, no permission) refuses
   * the open, as sshd does.
   */
  readonly local?: ForwardDecision<[socketPath: string]> | undefined
  /**
   * streamlocal-forward@openssh.com requests (`ssh -R /remote.sock:…`): the server listens on
   * `socketPath` and forwards each connection back. The socket file is removed by a cancel and
   * when the connection ends.
   */
  readonly remote?: ForwardDecision<[socketPath: string]> | undefined
  /** The mode mask of sockets listened on, as a umask (sshd's StreamLocalBindMask); default 0o177 (mode 0600). */
  readonly bindMask?: number | undefined
  /**
   * Removes a socket file already at the path before listening (sshd's StreamLocalBindUnlink);
   * only a socket is ever removed. Default false: the request fails when the path exists.
   */
  readonly bindUnlink?: boolean | undefined
}

/** Who may log in, and how. */
export interface AuthPolicy {
  /** Public keys allowed per user: one file for all, or a lookup (undefined: no key for this user). */
  readonly authorizedKeys?: AuthorizedKeys | ((username: string) => Awaitable<AuthorizedKeys | undefined>) | undefined
  /** Checks a password; also offered as keyboard-interactive with one "Password: " prompt (unless `keyboardInteractive` is given). */
  readonly password?: ((username: string, password: string) => Awaitable<boolean>) | undefined
  /**
   * Runs keyboard-interactive rounds of its own (a verification code, say): `ask` shows prompts
   * and resolves with the answers; resolve true to pass the method.
   */
  readonly keyboardInteractive?: ((username: string, ask: (query: ServerInteractiveQuery) => Promise<string[]>) => Awaitable<boolean>) | undefined
  /**
   * The lists of methods that together log a user in (sshd's AuthenticationMethods), each passed
   * in its order; e.g. `[['publickey', 'keyboard-interactive']]` needs a key first, then
   * keyboard-interactive. As sshd does, only the next method of each list is offered and
   * accepted: a passed method moves on every list that starts with it, and the first list
   * passed to its end logs the user in. A method may repeat ('publickey' twice needs two
   * different keys). Default: any one method that is configured.
   */
  readonly methods?: readonly (readonly ServerAuthMethod[])[] | undefined
  /** sshd's PermitUserEnvironment, for authorized_keys `environment=`; default false. */
  readonly permitUserEnvironment?: PermitUserEnvironment | undefined
}

/** The account {@link SessionHandler}s of kind `'process'` run as. */
export type RunAs = 'login' | 'self' | SessionUser

/** Options of {@link listen}. */
export interface ListenOptions {
  /** The address to listen on; default '127.0.0.1'. */
  readonly host?: string | undefined
  /** A Unix socket path to listen on instead of host and port. */
  readonly path?: string | undefined
  /** The port; default 0 (a free one: read it from `address()`). */
  readonly port?: number | undefined
  /** Host keys (one per type); at least one. */
  readonly hostKeys: readonly PrivateKey[]
  /** Who may log in. */
  readonly auth: AuthPolicy
  /** exec requests: `'process'` runs the command through the user's shell (runSession); absent: refused. */
  readonly exec?: SessionHandler | 'process' | undefined
  /** shell requests: `'process'` runs the user's login shell; absent: refused. */
  readonly shell?: SessionHandler | 'process' | undefined
  /** The 'sftp' subsystem (e.g. `fsSftp({ root })`); absent: refused. */
  readonly sftp?: SftpSubsystemHandler | undefined
  /**
   * Other subsystems: handlers by name, or one handler for every name (it reads
   * `request.subsystem`; a router relays them all). With a single handler, 'sftp' goes to it
   * unless `sftp` is set.
   */
  readonly subsystems?: Readonly<Record<string, SessionHandler>> | SessionHandler | undefined
  /** Forwarding; default none. */
  readonly forwarding?: ForwardingPolicy | undefined
  /** Whom `'process'` sessions run as: the login's local account (default), this process's user, or a given one. */
  readonly runAs?: RunAs | undefined
  /** Names of client env variables accepted (sshd's AcceptEnv patterns); default ['LANG', 'LC_*']. */
  readonly acceptEnv?: readonly string[] | undefined
  /** Options of each connection's transport: the server role's own (version, banner, maxAuthTries, loginGraceMs) and keepalive, kex, closeGraceMs. */
  readonly transport?: ListenTransportOptions | undefined
  /** Connections still authenticating at once; more are dropped at accept (sshd's MaxStartups); default 10. */
  readonly maxStartups?: number | undefined
  /** Connections at once; more are dropped at accept; default 100. */
  readonly maxConnections?: number | undefined
  /** Session channels open at once per connection (sshd's MaxSessions); default 10. */
  readonly maxSessions?: number | undefined
  /** Channels (sessions and forwardings) open at once per connection; default 100. */
  readonly maxChannels?: number | undefined
  /** Receives what happens, without secrets (a JSON-able event per line for `x-sshd --log json`). */
  readonly log?: ((event: ServerLogEvent) => void) | undefined
  /** Aborting it destroys the server. */
  readonly signal?: AbortSignal | undefined
}

/** The options with defaults applied and checked. @internal */
export interface ResolvedListenOptions extends ListenOptions {
  readonly host: string
  readonly port: number
  readonly maxStartups: number
  readonly maxConnections: number
  readonly maxSessions: number
  readonly maxChannels: number
  readonly acceptEnv: readonly string[]
  readonly runAs: RunAs
}

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be an integer ≥ 1`)
  return v
}

/** Checks `options` and applies the defaults. @internal */
export function resolveListenOptions(options: ListenOptions): ResolvedListenOptions {
  if (!options || typeof options !== 'object') throw new TypeError('listen needs an options object')
  if (!Array.isArray(options.hostKeys) || options.hostKeys.length === 0) throw new TypeError('hostKeys must hold at least one PrivateKey')
  if (!options.auth || typeof options.auth !== 'object') throw new TypeError('auth must say who may log in')
  const { authorizedKeys, password, keyboardInteractive, methods } = options.auth
  if (authorizedKeys === undefined && password === undefined && keyboardInteractive === undefined) throw new TypeError('auth needs authorizedKeys, password or keyboardInteractive: nobody could log in')
  for (const list of methods ?? []) {
    if (!Array.isArray(list) || list.length === 0) throw new TypeError('auth.methods must be non-empty lists of methods')
    for (const m of list) {
      const configured = m === 'publickey' ? authorizedKeys !== undefined : m === 'password' ? password !== undefined : m === 'keyboard-interactive' && (password !== undefined || keyboardInteractive !== undefined)
      if (!configured) throw new TypeError(`auth.methods names ${JSON.stringify(m)}, which auth does not configure (publickey needs authorizedKeys; password and keyboard-interactive need password)`)
    }
  }
  const mask = options.forwarding?.streamLocal?.bindMask
  if (mask !== undefined && (!Number.isInteger(mask) || mask < 0 || mask > 0o777)) throw new RangeError('forwarding.streamLocal.bindMask must be an integer 0–0o777')
  const port = options.port ?? 0
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError('port must be an integer 0–65535')
  return {
    ...options,
    host: options.host ?? '127.0.0.1',
    port,
    maxStartups: positiveInt('maxStartups', options.maxStartups, 10),
    maxConnections: positiveInt('maxConnections', options.maxConnections, 100),
    maxSessions: positiveInt('maxSessions', options.maxSessions, 10),
    maxChannels: positiveInt('maxChannels', options.maxChannels, 100),
    acceptEnv: options.acceptEnv ?? ['LANG', 'LC_*'],
    runAs: options.runAs ?? 'login',
  }
}

/** What {@link ListenOptions.transport} sets on each connection's server-role Transport. */
export type ListenTransportOptions = ServerRoleOptions & Pick<TransportOptions, 'algorithms' | 'keepalive' | 'closeGraceMs'>
