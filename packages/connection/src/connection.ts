import {
  ConfigError,
  ConnectionLostError,
  Transport,
  type SessionChannel,
  type ChannelSocket,
  type PtyOptions,
  type SftpClient,
  type SSHError,
} from '@x/transport'
import { algorithmsFromConfig } from './algorithm-policy.js'
import { checkHostForCommand, checkUserForCommand, openDirectTcpip, openProxyCommand, type JumpHop, type ProxyCommandSocket } from '@x/gateway'
import type { Duplex } from 'node:stream'
import { agentSocket, authenticate } from './auth-policy.js'
import { hopKey, planRoute, type GatewayRoute, type HopContext } from './gateway-route.js'
import { forwardLocal } from './forwarding/forward-local.js'
import { forwardRemote } from './forwarding/forward-remote.js'
import type { LocalForward, LocalForwardOptions, RemoteForward, RemoteForwardOptions } from './forwarding/types.js'
import { get } from './transfer/get.js'
import { put } from './transfer/put.js'
import type { GetDestination, GetOptions, PutOptions, PutSource, TransferResult } from './transfer/types.js'
import { configFlag, configNumber, configString } from './config-values.js'
import { resolveConnectionOptions, type ConnectionOptions, type ResolvedConnectionOptions } from './connection-options.js'
import { describeConfigSource, describeRoute, formatHost } from './debug-lines.js'
import { describeHostKeyPolicy, hostKeyVerifierFor, loggingVerifier } from './host-key-policy.js'
import { parseHostSpec } from './host-spec.js'
import { collectRun, type CollectControls, type Result, type RunEncoding, type RunOptions, type RunOutput } from './run.js'
import { trackedCommandLine } from './command-stop.js'
import { killRemoteProcesses } from './kill-remote.js'
import { withConnectTimeout } from './connect-timeout.js'
import { SessionLimiter } from './session-limiter.js'
import { resolveSshConfig, type ResolvedSshConfig, type SshConfigWarning } from './ssh-config/index.js'
import { collectSudo, sudoCommandLine, type SudoOptions } from './sudo.js'

/** The `signal` every async call accepts. */
export interface SignalOption {
  readonly signal?: AbortSignal | undefined
}

/** Options of `exec()` and `shell()`. */
export interface SessionOptions extends SignalOption {
  readonly pty?: boolean | PtyOptions | undefined
  readonly env?: Readonly<Record<string, string>> | undefined
}

const DEFAULT_KEEPALIVE = { intervalMs: 15_000, countMax: 3 }

/**
 * An SSH connection to one host, resolved and authenticated the way `ssh` would, with Fabric's
 * verbs; Fabric's `Connection`. Nothing touches the network until the first verb (or `open()`).
 *
 * @example
 * ```ts
 * await using c = new Connection('deploy@web1')
 * const { stdout } = await c.run('uname -a')
 * await c.put('./app.tar.gz', '/srv/releases/')
 * ```
 */
export class Connection {
  /** The host as given (an ssh_config alias or a name), without user and port. */
  readonly host: string
  /** The user that logs in (explicit option > shorthand > ssh_config User > local user). */
  readonly user: string
  /** The port dialled (explicit option > shorthand > ssh_config Port > 22). */
  readonly port: number
  /** The name dialled (ssh_config HostName, else `host`). */
  readonly hostname: string
  /** The resolved ssh_config for this host, as `ssh -G` prints it (lower-case keys). */
  readonly sshConfig: ResolvedSshConfig
  /**
   * The ssh_config lines that apply to this host but were ignored (keywords of a newer OpenSSH
   * or a vendor's ssh that mean nothing here, IgnoreUnknown skips, obsolete keywords); kept
   * apart from `sshConfig` so that it stays exactly what `ssh -G` prints.
   */
  readonly sshConfigWarnings: readonly SshConfigWarning[]
  readonly #options: ResolvedConnectionOptions
  readonly #limiter: SessionLimiter
  #transport: Transport | undefined
  #opening: Promise<Transport> | undefined
  #openController: AbortController | undefined
  #openWaiters = 0
  #sftp: Promise<SftpClient> | undefined
  /** Settles when the last opened transport closed (see waitClosed); resolved before any open. */
  #closed: Promise<SSHError | undefined> = Promise.resolve(undefined)
  readonly #resources = new Set<{ close(): Promise<void> }>()
  readonly #route: GatewayRoute<Connection>
  #proxyCommand: ProxyCommandSocket | undefined
  /** The `debug` option with this hop's prefix; undefined when not asked for. */
  readonly #debug: ((line: string) => void) | undefined

  /**
   * Resolves `host` ('user@host:port', '[v6]:port', an ssh_config alias) against ssh_config;
   * synchronous and offline.
   * @throws ConfigError when ssh_config is invalid (as OpenSSH would refuse it).
   * @throws TypeError / RangeError for invalid options.
   */
  constructor(host: string, options: ConnectionOptions = {}, /** @internal */ hop?: HopContext<Connection>) {
    this.#options = resolveConnectionOptions(options)
    const spec = parseHostSpec(host)
    this.host = spec.host
    const user = this.#options.user ?? spec.user
    const port = this.#options.port ?? spec.port
    const warnings: SshConfigWarning[] = []
    this.sshConfig = resolveSshConfig(spec.host, {
      ...(this.#options.config !== undefined ? { config: this.#options.config } : {}),
      ...(user !== undefined ? { user } : {}),
      ...(port !== undefined ? { port } : {}),
      allowMatchExec: this.#options.allowMatchExec === true,
      onWarning: (w) => warnings.push(w),
    })
    this.sshConfigWarnings = Object.freeze(warnings)
    this.user = configString(this.sshConfig, 'user') ?? ''
    this.port = configNumber(this.sshConfig, 'port') ?? 22
    this.hostname = configString(this.sshConfig, 'hostname') ?? spec.host
    this.#route = planRoute(spec.host, this.sshConfig, this.#options, hop ?? { trail: [hopKey(spec)] }, (next, context) =>
      new Connection(formatHop(next), hopOptions(this.#options), context))
    if (this.#route.kind === 'proxy-command' && !hop) {
      // Names from the API reach a shell through %h/%r: OpenSSH's post-CVE-2023-51385 rule.
      checkHostForCommand(spec.host)
      if (user !== undefined) checkUserForCommand(user)
    }
    this.#limiter = new SessionLimiter(this.#options.maxSessions)
    const debug = this.#options.debug
    const prefix = `[${this.user}@${formatHost(this.host)}:${this.port}] `
    this.#debug = debug ? (line) => debug(prefix + line) : undefined
  }

  /** Whether an authenticated transport is up. */
  get isConnected(): boolean {
    return this.#transport?.isAuthenticated === true
  }

  /** The authenticated transport, while connected. */
  get transport(): Transport | undefined {
    return this.#transport
  }

  /**
   * Connects and authenticates (every verb does this on first use); concurrent calls share one
   * attempt, which is torn down when every caller has aborted.
   * @throws ConnectError, TimeoutError, HandshakeError, HostKeyError, AuthenticationError, KeyError.
   */
  async open(options: SignalOption = {}): Promise<void> {
    await this.#ready(options.signal)
  }

  /**
   * Waits until the open connection ends and resolves with why: `undefined` when `close()` ended
   * it; otherwise the error that did: `ConnectionLostError` when the server closed the connection
   * or the peer, the socket or a gateway hop went away, `TimeoutError` with phase 'keepalive' when
   * the server stopped answering keepalives. Never rejects
   * (no unhandled rejection for a caller that ignores it); asyncssh's `wait_closed()`, Go's
   * `Client.Wait()`.
   *
   * The promise belongs to one opened session: call it after `open()` (or any verb). While no
   * session is open it is that of the last one, already resolved with its cause — or, before the
   * first open, resolved with `undefined`. A Connection that opens again (a verb after a close or
   * a loss) gets a new session, and `waitClosed()` then returns the new session's promise.
   *
   * @example
   * ```ts
   * await c.open()
   * const cause = await c.waitClosed() // undefined after c.close(); the error after a loss
   * if (cause) console.error(`lost ${c.host}: ${cause.code}`)
   * ```
   */
  waitClosed(): Promise<SSHError | undefined> {
    return this.#closed
  }

  /**
   * Runs `command` and resolves with its Result; Fabric's `run`. A timeout, an abort or
   * `maxBuffer` stops the command on the server before the call rejects (docs/timeouts.md).
   * @throws UnexpectedExitError when it exits non-zero (unless `warn`).
   * @throws TimeoutError with phase 'command' after `timeoutMs`; its `stop` says how the command was stopped.
   * @throws MaxBufferError when stdout or stderr exceeds `maxBuffer`.
   */
  async run<E extends RunEncoding = 'utf8'>(command: string, options: RunOptions<E> = {}): Promise<Result<RunOutput<E>>> {
    const tracked = this.#tracked(command, options)
    const ch = await this.#session((c) => c.exec(tracked?.line ?? command), options, options.signal)
    return collectRun(ch, command, options, { tracking: tracked?.tracking }).finally(() => ch.destroy())
  }

  /**
   * Runs `command` as root (or `options.user`) through sudo, answering its prompt with the
   * password; Fabric's `sudo`. The password never appears in the captured output.
   * @throws AuthenticationError when sudo rejects the password (at once, never a hang).
   */
  async sudo(command: string, options: SudoOptions = {}): Promise<Result> {
    const password = options.password ?? this.#options.auth?.password
    const { line, markers } = sudoCommandLine(command, options)
    const tracked = this.#tracked(line, options, password ?? '')
    const ch = await this.#session((c) => c.exec(tracked?.line ?? line), options, options.signal)
    return collectSudo(ch, command, markers, password, options, this.#label(), { tracking: tracked?.tracking }).finally(() => ch.destroy())
  }

  /** The tracked command line of `command` (RunOptions.trackProcessGroup), or undefined. */
  #tracked(command: string, options: RunOptions<RunEncoding>, sudoPassword?: string): { line: string; tracking: NonNullable<CollectControls['tracking']> } | undefined {
    if (options.pty !== undefined && options.pty !== false) return undefined
    if (!(options.trackProcessGroup ?? callerCanStop(options))) return undefined
    const { line, marker } = trackedCommandLine(command)
    return { line, tracking: { marker, killGroup: (pid, pgid) => killRemoteProcesses(this.#transport, pid, pgid, sudoPassword) } }
  }

  /** Starts `command` and returns its streaming Channel; Fabric's `Connection.create_session` + exec. */
  async exec(command: string, options: SessionOptions = {}): Promise<SessionChannel> {
    return this.#session((c) => c.exec(command), options, options.signal)
  }

  /** Starts an interactive shell (with a pty unless `pty: false`) and returns its Channel. */
  async shell(options: SessionOptions = {}): Promise<SessionChannel> {
    return this.#session((c) => c.invokeShell(), { ...options, pty: options.pty ?? true }, options.signal)
  }

  /** Returns this connection's SFTP client (one per connection, opened on first use); Fabric's `sftp()`. */
  async sftp(options: SignalOption = {}): Promise<SftpClient> {
    const t = await this.#ready(options.signal)
    if (!this.#sftp) {
      const opening = t.openSftpClient({ ...(options.signal ? { signal: options.signal } : {}) })
      this.#sftp = opening
      opening.then(
        (client) => {
          this.#resources.add(client)
          t.once('close', () => this.#resources.delete(client))
        },
        () => {
          if (this.#sftp === opening) this.#sftp = undefined
        },
      )
    }
    return this.#sftp
  }

  /**
   * Uploads a local path, stream or buffer to `remotePath` over SFTP; Fabric's `put`. A path keeps
   * its permission bits unless `preserveMode: false` or `mode` says otherwise. Atomic (temporary
   * file, then `posix-rename@openssh.com` over the target; `atomic: false` writes in place): a
   * failure never leaves a partial file under the target's name. `~/` is the remote home;
   * `mkdirs: true` creates missing parents. See {@link put} for the details.
   * @throws SFTPError with the remote path and SFTP status (2 missing, 3 denied).
   */
  async put(source: PutSource, remotePath: string, options: PutOptions = {}): Promise<TransferResult> {
    return put(await this.sftp(signalOf(options)), source, remotePath, options)
  }

  /**
   * Downloads `remotePath` to a local path (atomically: temp file, then rename) or a stream;
   * Fabric's `get`. A failure never leaves a partial file at the destination. `~/` is the remote
   * home. See {@link get} for the details.
   * @throws SFTPError with the remote path and SFTP status.
   */
  async get(remotePath: string, dest: GetDestination, options: GetOptions = {}): Promise<TransferResult> {
    return get(await this.sftp(signalOf(options)), remotePath, dest, options)
  }

  /**
   * Listens locally and forwards each connection to `remoteHost:remotePort` from the server
   * (`ssh -L`); Fabric's `forward_local`. Closes with the connection.
   * @throws ForwardError when the local port cannot be bound.
   */
  async forwardLocal(options: LocalForwardOptions): Promise<LocalForward> {
    const forward = await forwardLocal(await this.#ready(options.signal), options)
    return this.#hold(forward)
  }

  /**
   * Asks the server to listen and forwards each connection to `localHost:localPort` here
   * (`ssh -R`); Fabric's `forward_remote`. Closes with the connection.
   * @throws ForwardError when the server refuses.
   */
  async forwardRemote(options: RemoteForwardOptions): Promise<RemoteForward> {
    const forward = await forwardRemote(await this.#ready(options.signal), options)
    return this.#hold(forward)
  }

  /** Opens a socket to `host:port` as seen from the server (a direct-tcpip channel). */
  async openSocket(host: string, port: number, options: SignalOption = {}): Promise<ChannelSocket> {
    const t = await this.#ready(options.signal)
    const ch = await t.openChannel('direct-tcpip', { dest: [host, port], ...(options.signal ? { signal: options.signal } : {}) })
    return ch.asSocket()
  }

  /** Closes forwards, SFTP and the transport; idempotent. The Connection may be opened again. */
  async close(): Promise<void> {
    this.#openController?.abort(new ConnectionLostError(`the connection to ${this.#label()} was closed while opening`))
    const resources = [...this.#resources]
    this.#resources.clear()
    await Promise.allSettled(resources.map((r) => r.close()))
    this.#sftp = undefined
    const t = this.#transport
    this.#transport = undefined
    await t?.close()
    // The transport destroyed the ProxyCommand's socket; wait until its process group is gone.
    await this.#proxyCommand?.reaped
    this.#proxyCommand = undefined
    // Hops this connection built are closed after it, innermost first; a borrowed gateway stays open.
    for (const owned of [...this.#route.owned].reverse()) await owned.close()
  }

  /** Closes the connection; `await using c = new Connection(…)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  /** Keeps `resource` until it closes, so `close()` can close it first. */
  #hold<T extends { close(): Promise<void> }>(resource: T): T {
    this.#resources.add(resource)
    const close = resource.close.bind(resource)
    const held: T = Object.assign(resource, {
      close: async (): Promise<void> => {
        this.#resources.delete(held)
        await close()
      },
    })
    return held
  }

  #label(): string {
    return `${this.user}@${this.hostname}:${this.port}`
  }

  /** Opens a session channel, starts it with `start` inside the session limiter, and returns it. */
  async #session(start: (ch: SessionChannel) => Promise<void>, options: SessionOptions, signal: AbortSignal | undefined): Promise<SessionChannel> {
    const t = await this.#ready(signal)
    const { value: ch, release } = await this.#limiter.run(async () => {
      const c = await t.openSession()
      if (options.pty) c.getPty(options.pty === true ? {} : options.pty)
      for (const [name, value] of Object.entries(options.env ?? {})) c.setEnvironmentVariable(name, value)
      try {
        await start(c)
      } catch (err) {
        c.destroy()
        throw err
      }
      return c
    }, signal)
    ch.once('close', release)
    ch.exitStatus().then(release, release)
    return ch
  }

  async #ready(signal: AbortSignal | undefined): Promise<Transport> {
    signal?.throwIfAborted()
    const current = this.#transport
    if (current?.isAuthenticated) return current
    if (!this.#opening) {
      const controller = new AbortController()
      this.#openController = controller
      this.#opening = this.#connect(controller.signal).finally(() => {
        this.#opening = undefined
        if (this.#openController === controller) this.#openController = undefined
      })
    }
    const opening = this.#opening
    const controller = this.#openController
    this.#openWaiters++
    try {
      return await raceAbort(opening, signal)
    } finally {
      this.#openWaiters--
      if (signal?.aborted && this.#openWaiters === 0) controller?.abort(signal.reason)
    }
  }

  async #connect(signal: AbortSignal): Promise<Transport> {
    const cfg = this.sshConfig
    const configuredTimeout = configNumber(cfg, 'connecttimeout')
    const connectMs = this.#options.connectTimeoutMs ?? (configuredTimeout !== undefined ? configuredTimeout * 1000 : 20_000)
    const debug = this.#debug
    if (debug) this.#explain(debug)
    const sock = await this.#openStream(signal, connectMs)
    const verifier = hostKeyVerifierFor(cfg, this.#options.hostKeys ?? {})
    const t = new Transport(sock ?? { host: this.hostname, port: this.port }, {
      hostKeyVerifier: debug ? loggingVerifier(verifier, debug) : verifier,
      ...(debug ? { debug } : {}),
      hostname: configString(cfg, 'hostkeyalias') ?? this.hostname,
      port: this.port,
      keepalive: this.#keepalive(),
      algorithms: algorithmsFromConfig(cfg),
      ...this.#agentForwarding(),
      compression: configFlag(cfg, 'compression'),
      timeouts: {
        connectMs,
        // connectTimeoutMs / ConnectTimeout bound the handshake too (a ProxyCommand or server
        // that never answers), as the option says; OpenSSH bounds its banner exchange with it.
        handshakeMs: connectMs,
        ...(this.#options.timeouts?.authMs !== undefined ? { authMs: this.#options.timeouts.authMs } : {}),
        ...(this.#options.timeouts?.channelMs !== undefined ? { channelMs: this.#options.timeouts.channelMs } : {}),
      },
    })
    try {
      await t.startClient({ signal })
      await authenticate({ transport: t, username: this.user, target: `${this.hostname}:${this.port}`, config: cfg, auth: this.#options.auth ?? {}, signal, debug })
    } catch (err) {
      t.destroy()
      throw err
    }
    this.#closed = new Promise((resolve) => {
      t.once('close', (error) => {
        resolve(error)
        if (this.#transport !== t) return
        this.#transport = undefined
        this.#sftp = undefined
      })
    })
    this.#transport = t
    return t
  }

  /**
   * The byte stream for a gateway route (undefined: the Transport dials TCP itself). Through a
   * jump, the gateway's direct-tcpip open is this hop's TCP connect: `connectMs` bounds it, as
   * ConnectTimeout bounds `ssh -J` (a silently dropped SYN there would otherwise hold the open
   * until the gateway's own connect gives up, minutes later).
   */
  async #openStream(signal: AbortSignal, connectMs: number): Promise<Duplex | undefined> {
    const route = this.#route
    switch (route.kind) {
      case 'direct':
        return undefined
      case 'jump': {
        await route.via.open({ signal })
        const via = route.via.transport
        if (!via) throw new ConnectionLostError(`the gateway to ${this.#label()} closed while opening`)
        return withConnectTimeout(connectMs, `connecting to ${this.#label()} through its gateway`, signal, (bounded) =>
          openDirectTcpip(via, this.hostname, this.port, { signal: bounded }))
      }
      case 'proxy-command': {
        const sock = await openProxyCommand(route.command, { host: this.hostname, port: this.port, user: this.user, alias: this.host, signal })
        this.#proxyCommand = sock
        return sock
      }
    }
  }

  /** Tells `debug` which config, route and host-key policy this open uses (never a secret). */
  #explain(debug: (line: string) => void): void {
    const cfg = this.sshConfig
    debug(`config: ${describeConfigSource(this.#options.config)}; resolved to ${this.user}@${this.hostname}:${this.port}`)
    for (const w of this.sshConfigWarnings) debug(`config: ${w.file} line ${w.line}: ignoring ${w.keyword} (${w.reason})`)
    debug(`route: ${describeRoute(this.#route, this.hostname, this.port)}`)
    debug(`host keys: ${describeHostKeyPolicy(cfg, this.#options.hostKeys ?? {})}, checked as ${configString(cfg, 'hostkeyalias') ?? this.hostname}:${this.port}`)
  }

  /** ForwardAgent: the option, else ssh_config (yes, or a socket path / $VARIABLE). */
  #agentForwarding(): { agentForwarding?: string | undefined } {
    const option = this.#options.forwardAgent
    const configured = configString(this.sshConfig, 'forwardagent')
    const wanted = option ?? (configured === undefined || configured === 'no' ? false : configured === 'yes' ? true : configured)
    if (wanted === false) return {}
    const socket = typeof wanted === 'string' ? expandAgentPath(wanted) : agentSocket(this.sshConfig, this.#options.auth ?? {})
    return socket ? { agentForwarding: socket } : {}
  }

  #keepalive(): { intervalMs: number; countMax: number } | undefined {
    const option = this.#options.keepalive
    if (option === false) return undefined
    if (option) return { intervalMs: option.intervalMs, countMax: option.countMax ?? 3 }
    const seconds = configNumber(this.sshConfig, 'serveraliveinterval') ?? 0
    if (seconds === 0) return DEFAULT_KEEPALIVE
    return { intervalMs: seconds * 1000, countMax: configNumber(this.sshConfig, 'serveralivecountmax') ?? 3 }
  }
}

/** Writes a jump hop back as `[user@]host[:port]` (IPv6 in brackets). */
function formatHop(hop: JumpHop): string {
  const host = hop.host.includes(':') ? `[${hop.host}]` : hop.host
  return `${hop.user === undefined ? '' : `${hop.user}@`}${host}${hop.port === undefined ? '' : `:${hop.port}`}`
}

/**
 * Options a hop built from ProxyJump inherits: config, keys, agent, host-key policy, keepalive and
 * timeouts. Not the password nor the keyboard-interactive handler: those are for the target
 * (ssh never offers one host's password to another).
 */
function hopOptions(options: ResolvedConnectionOptions): ConnectionOptions {
  const { password: _password, interactive: _interactive, ...auth } = options.auth ?? {}
  return {
    ...(options.config !== undefined ? { config: options.config } : {}),
    ...(options.allowMatchExec !== undefined ? { allowMatchExec: options.allowMatchExec } : {}),
    ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
    ...(options.hostKeys !== undefined ? { hostKeys: options.hostKeys } : {}),
    ...(options.keepalive !== undefined ? { keepalive: options.keepalive } : {}),
    ...(options.timeouts !== undefined ? { timeouts: options.timeouts } : {}),
    ...(options.debug !== undefined ? { debug: options.debug } : {}),
    auth,
  }
}

/** ForwardAgent may name an environment variable (`$SSH_AUTH_SOCK`) instead of a path. */
function expandAgentPath(value: string): string | undefined {
  return value.startsWith('$') ? process.env[value.slice(1)] : value
}

function signalOf(options: { readonly signal?: AbortSignal | undefined }): SignalOption {
  return options.signal ? { signal: options.signal } : {}
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(err)
      },
    )
  })
}

/**
 * Whether the caller gave `run` a bound that stops the command (`timeoutMs`, `signal`, an
 * explicit finite `maxBuffer`): only then does process-group tracking change the command line
 * by default, so a plain run sends the command exactly as given.
 */
function callerCanStop(options: RunOptions<RunEncoding>): boolean {
  return (options.timeoutMs !== undefined && options.timeoutMs > 0) || options.signal !== undefined || (options.maxBuffer !== undefined && Number.isFinite(options.maxBuffer))
}
