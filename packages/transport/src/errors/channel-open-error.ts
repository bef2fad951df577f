import { SSHError, type SSHErrorOptions } from './ssh-error.js'

/** Raises when the server refuses to open a channel (RFC 4254 §5.1). */
export class ChannelOpenError extends SSHError {
  override readonly name = 'ChannelOpenError' as const
  override readonly code = 'ERR_SSH_CHANNEL_OPEN' as const
  /** RFC 4254 §5.1 reason code (1 prohibited, 2 connect failed, 3 unknown type, 4 resource shortage), 0 if none. */
  readonly reason: number
  /** The server's description. */
  readonly description: string

  static {
    this.brand('ERR_SSH_CHANNEL_OPEN')
  }

  /** Creates a channel-open error. */
  constructor(message: string, fields: { reason: number; description: string }, options?: SSHErrorOptions) {
    super(message, options)
    this.reason = fields.reason
    this.description = fields.description
  }
}
