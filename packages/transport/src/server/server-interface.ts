/** The application's side of the server role: paramiko's `ServerInterface`, async and optional. */
import type { PublicKey } from '../keys/public-key.js'
import type { ServerChannel, ServerPty, ServerX11 } from './server-channel.js'

/** A method of user authentication (RFC 4252 §5, RFC 4256). */
export type ServerAuthMethod = 'none' | 'password' | 'publickey' | 'keyboard-interactive'

/** The answer to one authentication attempt; 'partial' passes a factor and asks for more (RFC 4252 §5.1). */
export type ServerAuthAnswer = 'success' | 'partial' | 'failure'

/** A value or a promise of it. */
export type Awaitable<T> = T | Promise<T>

/** What an authentication check knows: who, which factors passed already, and the peer. */
export interface ServerAuthContext {
  readonly username: string
  /** Methods that already answered 'partial' for this user, in order: stateless multi-factor. */
  readonly completed: readonly ServerAuthMethod[]
  /** The client's version line, e.g. 'SSH-2.0-OpenSSH_9.2p1 Debian-2'. */
  readonly clientVersion: string
  /** Aborted when the connection ends or the login grace time runs out. */
  readonly signal: AbortSignal
}

/** One keyboard-interactive round (RFC 4256 §3.2). */
export interface ServerInteractiveQuery {
  readonly name?: string | undefined
  readonly instructions?: string | undefined
  readonly prompts: ReadonlyArray<{ readonly prompt: string; readonly echo: boolean }>
}

/** How to answer a channel open (RFC 4254 §5.1): true, or the refusal. */
export type ServerOpenAnswer = boolean

/**
 * Decides every authentication attempt, channel open and request of one server-role Transport:
 * paramiko's `ServerInterface`. Every method is optional and may be async; **a missing method
 * refuses** (paramiko's defaults). Publickey signatures are verified before
 * {@link checkAuthPublicKey} sees a signed attempt.
 */
export interface ServerInterface {
  /** The methods to offer `ctx.username` next; default: those whose check method exists, minus `ctx.completed`. */
  getAllowedAuths?(ctx: ServerAuthContext): Awaitable<readonly ServerAuthMethod[]>
  /** The 'none' method (RFC 4252 §5.2); paramiko's `check_auth_none`. */
  checkAuthNone?(ctx: ServerAuthContext): Awaitable<ServerAuthAnswer>
  /** A password; paramiko's `check_auth_password`. */
  checkAuthPassword?(ctx: ServerAuthContext, password: string): Awaitable<ServerAuthAnswer>
  /**
   * A public key; paramiko's `check_auth_publickey`. Asked for a query without signature
   * (`signed` false: a 'success' or 'partial' answer is sent as PK_OK) and again for a signed
   * attempt whose signature we verified (`signed` true: this answer decides); never for a forged one.
   */
  checkAuthPublicKey?(ctx: ServerAuthContext, key: PublicKey, signed: boolean): Awaitable<ServerAuthAnswer>
  /** keyboard-interactive (RFC 4256); `ask` runs one round and resolves with the answers. paramiko's `check_auth_interactive`. */
  checkAuthInteractive?(ctx: ServerAuthContext, ask: (query: ServerInteractiveQuery) => Promise<string[]>, submethods: string): Awaitable<ServerAuthAnswer>
  /**
   * Opens a 'session' channel; paramiko's `check_channel_request`. `channel` is the session as it
   * will be delivered (its 'close' event tells when it ends, started or not).
   */
  checkChannelRequest?(kind: 'session', channel: ServerChannel): Awaitable<ServerOpenAnswer>
  /** A pty-req (RFC 4254 §6.2); paramiko's `check_channel_pty_request`. */
  checkPtyRequest?(channel: ServerChannel, pty: ServerPty): Awaitable<boolean>
  /** An env request (RFC 4254 §6.4); paramiko's `check_channel_env_request`. */
  checkEnvRequest?(channel: ServerChannel, name: string, value: string): Awaitable<boolean>
  /** A shell request; paramiko's `check_channel_shell_request`. */
  checkShellRequest?(channel: ServerChannel): Awaitable<boolean>
  /** An exec request; paramiko's `check_channel_exec_request`. */
  checkExecRequest?(channel: ServerChannel, command: string): Awaitable<boolean>
  /** A subsystem request without a handler from `setSubsystemHandler`; paramiko's `check_channel_subsystem_request`. */
  checkSubsystemRequest?(channel: ServerChannel, name: string): Awaitable<boolean>
  /**
   * An x11-req (RFC 4254 §6.3.1) before the session started; on true the channel records it
   * as {@link ServerChannel.x11}, and `Transport.openX11Channel()` carries each X
   * connection. paramiko's `check_channel_x11_request`.
   */
  checkX11Request?(channel: ServerChannel, x11: ServerX11): Awaitable<boolean>
  /**
   * An auth-agent-req@openssh.com (OpenSSH PROTOCOL.agent) before the session started; on true
   * the channel records {@link ServerChannel.agentForwarding} and
   * `Transport.openForwardAgentChannel()` reaches the client's agent.
   * paramiko's `check_channel_forward_agent_request`.
   */
  checkAgentForwardRequest?(channel: ServerChannel): Awaitable<boolean>
  /** A window-change (RFC 4254 §6.7); on true the channel emits 'window-change'. */
  checkWindowChangeRequest?(channel: ServerChannel, cols: number, rows: number, width: number, height: number): Awaitable<boolean>
  /** A direct-tcpip open (RFC 4254 §7.2); paramiko's `check_channel_direct_tcpip_request`. */
  checkDirectTcpip?(origin: readonly [string, number], dest: readonly [string, number]): Awaitable<ServerOpenAnswer>
  /** A direct-streamlocal@openssh.com open. */
  checkDirectStreamLocal?(socketPath: string): Awaitable<ServerOpenAnswer>
  /**
   * A tcpip-forward (RFC 4254 §7.1); paramiko's `check_port_forward_request`. Resolves with the
   * port bound (the chosen one for port 0), or false to refuse.
   */
  checkPortForwardRequest?(address: string, port: number): Awaitable<number | false>
  /** A cancel-tcpip-forward; paramiko's `cancel_port_forward_request`. */
  cancelPortForwardRequest?(address: string, port: number): Awaitable<void>
  /**
   * A streamlocal-forward@openssh.com (OpenSSH PROTOCOL §2.4): listen on the Unix socket
   * `socketPath` and hand each connection over with
   * `Transport.openForwardedStreamlocalChannel()`. Resolves true when listening.
   */
  checkStreamLocalForwardRequest?(socketPath: string): Awaitable<boolean>
  /** A cancel-streamlocal-forward@openssh.com: stop listening on `socketPath`. */
  cancelStreamLocalForwardRequest?(socketPath: string): Awaitable<void>
}
