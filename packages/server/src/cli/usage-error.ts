import { SSHError, type SSHErrorOptions } from '@x/transport'

/** Raised by {@link parseArgs} for a command line x-sshd cannot run: a one-line message, exit status 2. */
export class UsageError extends SSHError {
  override readonly name = 'UsageError' as const
  override readonly code = 'ERR_USAGE' as const

  static {
    this.brand('ERR_USAGE')
  }

  /** Creates the error with a one-line message. */
  constructor(message: string, options?: SSHErrorOptions) {
    super(message, options)
  }
}
