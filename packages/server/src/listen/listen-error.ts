import { SSHError, type SSHErrorOptions } from '@x/transport'

/** Raised by {@link listen} when the server cannot listen (address in use, not permitted, …). */
export class ListenError extends SSHError {
  override readonly name = 'ListenError' as const
  override readonly code = 'ERR_SSH_LISTEN' as const
  /** The address that could not be listened on. */
  readonly host: string
  /** The port that could not be listened on. */
  readonly port: number

  static {
    this.brand('ERR_SSH_LISTEN')
  }

  /** Creates the error for `host:port`; the system error is the cause. */
  constructor(message: string, fields: { host: string; port: number }, options?: SSHErrorOptions) {
    super(message, options)
    this.host = fields.host
    this.port = fields.port
  }
}
