/**
 * The error tree shared by every package: every error is an SSHError. Each class has a literal `name`
 * (it survives minifiers) and a stable string `code`, so `switch (err.code)` narrows.
 * Messages name host, user and method; they never carry a secret.
 */

/** Options every error accepts: the underlying cause. */
export interface SSHErrorOptions {
  /** The lower-level error this one explains. */
  cause?: unknown
}

/**
 * Base class of every error this library raises on purpose.
 *
 * @example
 * ```ts
 * try { await t.startClient() } catch (err) {
 *   if (err instanceof SSHError) console.error(err.code)
 * }
 * ```
 */
export class SSHError extends Error {
  override readonly name: string = 'SSHError'
  /** Stable machine-readable code; test by it, never by message text. */
  readonly code: string = 'ERR_SSH'

  /** Creates an error; `cause` is kept as the standard `Error.cause`. */
  constructor(message: string, options: SSHErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    // V8 formats a stack on first read; until then it holds every frame's receiver and function
    // (a Transport, its socket, a resolver's caches) for as long as the error is kept. Format it
    // once the subclass constructor has set `name` (a microtask later), with the cause chain's.
    queueMicrotask(() => formatStacks(this))
  }
}

/** Reads `.stack` down a cause chain, so V8 formats and releases what each error captured. */
function formatStacks(err: unknown): void {
  try {
    for (let e = err, depth = 0; e instanceof Error && depth < 16; e = e.cause, depth++) void e.stack
  } catch {
    // A throwing Error.prepareStackTrace or stack getter: reading it later throws the same way.
  }
}

/** Raises when the TCP connection cannot be made (refused, unreachable, DNS). */
export class ConnectError extends SSHError {
  override readonly name = 'ConnectError' as const
  override readonly code = 'ERR_SSH_CONNECT' as const
  /** Host that was dialled. */
  readonly host: string
  /** Port that was dialled. */
  readonly port: number

  /** Creates a connect error for `host:port`. */
  constructor(message: string, fields: { host: string; port: number }, options?: SSHErrorOptions) {
    super(message, options)
    this.host = fields.host
    this.port = fields.port
  }
}

/** The phase whose timer expired. */
export type TimeoutPhase = 'connect' | 'handshake' | 'auth' | 'channel' | 'command' | 'keepalive'

/**
 * How a remote command was stopped after a timeout, an abort or `maxBuffer`:
 * - `'process-group'`: a second session on the same connection signalled the command's process
 *   group (TERM, then KILL) and saw it gone — or, with `mayStillRun`, could not see it gone;
 * - `'signal'`: the server was sent an RFC 4254 §6.9 `signal` request (OpenSSH honours it only
 *   for non-root logins; Dropbear signals only the session's first process);
 * - `'pty-hangup'`: the channel of a command with a pty was closed, so the server hung up its
 *   terminal (SIGHUP to the terminal's foreground process group);
 * - `'none'`: nothing could be done (the connection was gone).
 */
export type StopMethod = 'process-group' | 'signal' | 'pty-hangup' | 'none'

/** What a stop did to a remote command: the mechanism that was used and whether the command may still run. */
export interface CommandStop {
  /** The last mechanism used (see {@link StopMethod}). */
  readonly method: StopMethod
  /**
   * True unless the library saw the command end: its process group gone (`'process-group'`), or
   * its exit reported and its output closed (`'signal'`, `'pty-hangup'`). When true, the command
   * may still be running on the server.
   */
  readonly mayStillRun: boolean
}

/** Raises when one of our per-phase timers expires. */
export class TimeoutError extends SSHError {
  override readonly name = 'TimeoutError' as const
  override readonly code = 'ERR_SSH_TIMEOUT' as const
  /** Which phase ran out of time. */
  readonly phase: TimeoutPhase
  /** The bound that was exceeded, in milliseconds. */
  readonly timeoutMs: number
  /** For phase 'command': how the command was stopped; undefined for other phases. */
  readonly stop: CommandStop | undefined

  /** Creates a timeout error for `phase` after `timeoutMs`. */
  constructor(message: string, fields: { phase: TimeoutPhase; timeoutMs: number; stop?: CommandStop | undefined }, options?: SSHErrorOptions) {
    super(message, options)
    this.phase = fields.phase
    this.timeoutMs = fields.timeoutMs
    this.stop = fields.stop
  }
}

/** Raises when the version exchange or key exchange fails (banner, kex, no common algorithm). */
export class HandshakeError extends SSHError {
  override readonly name = 'HandshakeError' as const
  override readonly code = 'ERR_SSH_HANDSHAKE' as const
}

/** Why a host key was not accepted. */
export type HostKeyErrorReason = 'unknown' | 'mismatch' | 'revoked' | 'rejected'

/** Raises when the server's host key is not accepted. */
export class HostKeyError extends SSHError {
  override readonly name = 'HostKeyError' as const
  override readonly code = 'ERR_SSH_HOST_KEY' as const
  /** unknown: not in known_hosts; mismatch: another key is known; revoked: `@revoked`; rejected: a verifier said no. */
  readonly reason: HostKeyErrorReason
  /** Host name the key was checked under. */
  readonly host: string
  /** Port the key was checked under. */
  readonly port: number
  /** SHA256 fingerprint of the offered key. */
  readonly fingerprint: string
  /** Fingerprints of the keys known for this host, when `reason` is 'mismatch'. */
  readonly expected: readonly string[]
  /**
   * The known_hosts files read for the check (absolute, in order; the first is the one
   * 'accept-new' writes), when a known_hosts verifier raised the error; [] otherwise.
   */
  readonly knownHostsFiles: readonly string[]

  /** Creates a host-key error. */
  constructor(
    message: string,
    fields: {
      reason: HostKeyErrorReason
      host: string
      port: number
      fingerprint: string
      expected?: readonly string[] | undefined
      knownHostsFiles?: readonly string[] | undefined
    },
    options?: SSHErrorOptions,
  ) {
    super(message, options)
    this.reason = fields.reason
    this.host = fields.host
    this.port = fields.port
    this.fingerprint = fields.fingerprint
    this.expected = Object.freeze([...(fields.expected ?? [])])
    this.knownHostsFiles = Object.freeze([...(fields.knownHostsFiles ?? [])])
  }
}

/** Why a key file was passed over: `missing` (no such file), or a {@link KeyErrorReason}. */
export type SkippedKeyReason = 'missing' | KeyErrorReason

/**
 * A key file that authentication passed over without offering it to the server: one named by
 * ssh_config's IdentityFile (`origin: 'identity-file'`) or one of OpenSSH's default key files
 * (`origin: 'default'`). Keys the caller listed are never skipped: they raise {@link KeyError}.
 */
export interface SkippedKey {
  /** The key file's path, as it was looked for (never key material). */
  readonly source: string
  /** Where the path came from. */
  readonly origin: 'identity-file' | 'default'
  /** Why it was not used: `passphrase` means encrypted with no passphrase given, or a wrong one. */
  readonly reason: SkippedKeyReason
}

/** Raises when authentication fails; paramiko's `AuthenticationException`. */
export class AuthenticationError extends SSHError {
  override readonly name: string = 'AuthenticationError'
  override readonly code: string = 'ERR_SSH_AUTH'
  /** User name that was tried. */
  readonly username: string
  /** Methods tried, in order. */
  readonly triedMethods: readonly string[]
  /** Methods the server said may continue. */
  readonly allowedTypes: readonly string[]
  /** Key files passed over without being offered, and why ([] when none). */
  readonly skippedKeys: readonly SkippedKey[]

  /** Creates an authentication error. */
  constructor(
    message: string,
    fields: {
      username: string
      triedMethods: readonly string[]
      allowedTypes: readonly string[]
      skippedKeys?: readonly SkippedKey[] | undefined
    },
    options?: SSHErrorOptions,
  ) {
    super(message, options)
    this.username = fields.username
    this.triedMethods = Object.freeze([...fields.triedMethods])
    this.allowedTypes = Object.freeze([...fields.allowedTypes])
    this.skippedKeys = Object.freeze((fields.skippedKeys ?? []).map((k) => Object.freeze({ source: k.source, origin: k.origin, reason: k.reason })))
  }
}

/** Raises when the server does not allow the method tried; paramiko's `BadAuthenticationType`. */
export class BadAuthenticationTypeError extends AuthenticationError {
  override readonly name = 'BadAuthenticationTypeError' as const
  override readonly code = 'ERR_SSH_AUTH_BAD_TYPE' as const
}

/** Why a key could not be used. */
export type KeyErrorReason = 'unreadable' | 'unsupported' | 'passphrase' | 'invalid'

/** Raises when a key cannot be read or decrypted. */
export class KeyError extends SSHError {
  override readonly name = 'KeyError' as const
  override readonly code = 'ERR_SSH_KEY' as const
  /** unreadable: file error; unsupported: format or type; passphrase: wrong or missing; invalid: malformed. */
  readonly reason: KeyErrorReason

  /** Creates a key error. */
  constructor(message: string, fields: { reason: KeyErrorReason }, options?: SSHErrorOptions) {
    super(message, options)
    this.reason = fields.reason
  }
}

/** Raises when the server refuses to open a channel (RFC 4254 §5.1). */
export class ChannelOpenError extends SSHError {
  override readonly name = 'ChannelOpenError' as const
  override readonly code = 'ERR_SSH_CHANNEL_OPEN' as const
  /** RFC 4254 §5.1 reason code (1 prohibited, 2 connect failed, 3 unknown type, 4 resource shortage), 0 if none. */
  readonly reason: number
  /** The server's description. */
  readonly description: string

  /** Creates a channel-open error. */
  constructor(message: string, fields: { reason: number; description: string }, options?: SSHErrorOptions) {
    super(message, options)
    this.reason = fields.reason
    this.description = fields.description
  }
}

/** Raises when the peer, the socket or a gateway hop went away. */
export class ConnectionLostError extends SSHError {
  override readonly name = 'ConnectionLostError' as const
  override readonly code = 'ERR_SSH_CONNECTION_LOST' as const
}

/** Raises when a forward request is refused or a listener cannot bind. */
export class ForwardError extends SSHError {
  override readonly name = 'ForwardError' as const
  override readonly code = 'ERR_SSH_FORWARD' as const
}

/** Raises when an SFTP operation or transfer fails. */
export class SFTPError extends SSHError {
  override readonly name = 'SFTPError' as const
  override readonly code = 'ERR_SSH_SFTP' as const
  /** The remote path involved, if any. */
  readonly path: string | undefined
  /** SFTP status code (draft-ietf-secsh-filexfer-02 §7), if the server sent one. */
  readonly status: number | undefined

  /** Creates an SFTP error. */
  constructor(message: string, fields: { path?: string | undefined; status?: number | undefined } = {}, options?: SSHErrorOptions) {
    super(message, options)
    this.path = fields.path
    this.status = fields.status
  }
}

/** Raises for an ssh_config problem, a jump loop or a bad token. */
export class ConfigError extends SSHError {
  override readonly name = 'ConfigError' as const
  override readonly code = 'ERR_SSH_CONFIG' as const
  /** The file at fault, if any. */
  readonly file: string | undefined
  /** The 1-based line at fault, if any. */
  readonly line: number | undefined

  /** Creates a config error. */
  constructor(message: string, fields: { file?: string | undefined; line?: number | undefined } = {}, options?: SSHErrorOptions) {
    super(message, options)
    this.file = fields.file
    this.line = fields.line
  }
}

/**
 * Raises when one host is given both a jump gateway and a ProxyCommand by different sources (an
 * explicit option and another option or ssh_config), before any socket opens or process starts.
 */
export class GatewayConflictError extends SSHError {
  override readonly name = 'GatewayConflictError' as const
  override readonly code = 'ERR_SSH_GATEWAY_CONFLICT' as const
  /** The host both gateways were configured for. */
  readonly host: string
  /** The two sources, e.g. `['option gateway (Connection)', 'ssh_config ProxyCommand']`. */
  readonly sources: readonly [string, string]

  /** Creates a conflict error. */
  constructor(message: string, fields: { host: string; sources: readonly [string, string] }, options?: SSHErrorOptions) {
    super(message, options)
    this.host = fields.host
    this.sources = fields.sources
  }
}

/** Raises when a ProxyCommand exits early or cannot start. */
export class ProxyCommandError extends SSHError {
  override readonly name = 'ProxyCommandError' as const
  override readonly code = 'ERR_SSH_PROXY_COMMAND' as const
  /** The command as run. */
  readonly command: string
  /** Exit code, or null when killed by a signal. */
  readonly exitCode: number | null
  /** Signal name, or null. */
  readonly signal: string | null
  /** The last bytes the command wrote to stderr. */
  readonly stderrTail: string

  /** Creates a ProxyCommand error. */
  constructor(
    message: string,
    fields: { command: string; exitCode: number | null; signal: string | null; stderrTail: string },
    options?: SSHErrorOptions,
  ) {
    super(message, options)
    this.command = fields.command
    this.exitCode = fields.exitCode
    this.signal = fields.signal
    this.stderrTail = fields.stderrTail
  }
}

/** The outcome of a finished command (Fabric's `Result`); output is text, or Buffers with `encoding: 'buffer'`. */
export interface CommandResult<Output extends string | Buffer = string> {
  readonly command: string
  readonly stdout: Output
  readonly stderr: Output
  readonly exitCode: number | null
  readonly signal: string | null
  readonly ok: boolean
}

/** Raises when a command exits non-zero and `warn` was not set (Fabric's `UnexpectedExit`). */
export class UnexpectedExitError<Output extends string | Buffer = string> extends SSHError {
  override readonly name = 'UnexpectedExitError' as const
  override readonly code = 'ERR_SSH_UNEXPECTED_EXIT' as const
  /** The full result of the command. */
  readonly result: CommandResult<Output>

  /** Creates an unexpected-exit error. */
  constructor(message: string, fields: { result: CommandResult<Output> }, options?: SSHErrorOptions) {
    super(message, options)
    this.result = fields.result
  }
}

/** Raises when a command's captured stdout or stderr would exceed `maxBuffer`; the command is stopped as on a timeout. */
export class MaxBufferError extends SSHError {
  override readonly name = 'MaxBufferError' as const
  override readonly code = 'ERR_SSH_MAX_BUFFER' as const
  /** The limit, in bytes. */
  readonly maxBuffer: number
  /** The stream that went over it. */
  readonly stream: 'stdout' | 'stderr'
  /** How the command was stopped. */
  readonly stop: CommandStop

  /** Creates a max-buffer error. */
  constructor(message: string, fields: { maxBuffer: number; stream: 'stdout' | 'stderr'; stop: CommandStop }, options?: SSHErrorOptions) {
    super(message, options)
    this.maxBuffer = fields.maxBuffer
    this.stream = fields.stream
    this.stop = fields.stop
  }
}

/** Every error code this library raises. */
export type SSHErrorCode =
  | 'ERR_SSH'
  | ConnectError['code']
  | TimeoutError['code']
  | HandshakeError['code']
  | HostKeyError['code']
  | 'ERR_SSH_AUTH'
  | BadAuthenticationTypeError['code']
  | KeyError['code']
  | ChannelOpenError['code']
  | ConnectionLostError['code']
  | ForwardError['code']
  | SFTPError['code']
  | ConfigError['code']
  | GatewayConflictError['code']
  | ProxyCommandError['code']
  | UnexpectedExitError['code']
  | MaxBufferError['code']
