import { SSHError, type SSHErrorOptions } from './ssh-error.js'

/** Raises when the TCP connection cannot be made (refused, unreachable, DNS). */
export class ConnectError extends SSHError {
  override readonly name = 'ConnectError' as const
  override readonly code = 'ERR_SSH_CONNECT' as const
  /** Host that was dialled. */
  readonly host: string
  /** Port that was dialled. */
  readonly port: number

  static {
    this.brand('ERR_SSH_CONNECT')
  }

  /** Creates a connect error for `host:port`. */
  constructor(message: string, fields: { host: string; port: number }, options?: SSHErrorOptions) {
    super(message, options)
    this.host = fields.host
    this.port = fields.port
  }
}
