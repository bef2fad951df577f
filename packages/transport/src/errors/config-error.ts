import { SSHError, type SSHErrorOptions } from './ssh-error.js'

/**
 * Raises for an ssh_config problem, a jump loop or a bad token. Raised by @x/gateway and
 * @x/connection (the ssh_config resolver); it lives here until the resolver has its own package.
 */
export class ConfigError extends SSHError {
  override readonly name = 'ConfigError' as const
  override readonly code = 'ERR_SSH_CONFIG' as const
  /** The file at fault, if any. */
  readonly file: string | undefined
  /** The 1-based line at fault, if any. */
  readonly line: number | undefined

  static {
    this.brand('ERR_SSH_CONFIG')
  }

  /** Creates a config error. */
  constructor(message: string, fields: { file?: string | undefined; line?: number | undefined } = {}, options?: SSHErrorOptions) {
    super(message, options)
    this.file = fields.file
    this.line = fields.line
  }
}
