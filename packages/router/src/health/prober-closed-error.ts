import { SSHError, type SSHErrorOptions } from '@x/transport'

/** Raised by a {@link HostProber} call made after (or cut short by) `close()`. */
export class HostProberClosedError extends SSHError {
  override readonly name = 'HostProberClosedError' as const
  override readonly code = 'ERR_SSH_ROUTER_PROBER_CLOSED' as const

  static {
    this.brand('ERR_SSH_ROUTER_PROBER_CLOSED')
  }

  /** Creates the error. */
  constructor(message = 'the host prober is closed', options?: SSHErrorOptions) {
    super(message, options)
  }
}
