import { SSHError, type SSHErrorOptions } from '@x/transport'

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

  static {
    this.brand('ERR_SSH_PROXY_COMMAND')
  }

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
