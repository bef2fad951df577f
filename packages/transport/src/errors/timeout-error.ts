import { SSHError, type SSHErrorOptions } from './ssh-error.js'

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

  static {
    this.brand('ERR_SSH_TIMEOUT')
  }

  /** Creates a timeout error for `phase` after `timeoutMs`. */
  constructor(message: string, fields: { phase: TimeoutPhase; timeoutMs: number; stop?: CommandStop | undefined }, options?: SSHErrorOptions) {
    super(message, options)
    this.phase = fields.phase
    this.timeoutMs = fields.timeoutMs
    this.stop = fields.stop
  }
}
