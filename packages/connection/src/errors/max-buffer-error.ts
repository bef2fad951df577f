import { SSHError, type CommandStop, type SSHErrorOptions } from '@x/transport'

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

  static {
    this.brand('ERR_SSH_MAX_BUFFER')
  }

  /** Creates a max-buffer error. */
  constructor(message: string, fields: { maxBuffer: number; stream: 'stdout' | 'stderr'; stop: CommandStop }, options?: SSHErrorOptions) {
    super(message, options)
    this.maxBuffer = fields.maxBuffer
    this.stream = fields.stream
    this.stop = fields.stop
  }
}
