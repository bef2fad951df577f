import { SSHError } from './ssh-error.js'

/** Raises when a forward request is refused or a listener cannot bind. */
export class ForwardError extends SSHError {
  override readonly name = 'ForwardError' as const
  override readonly code = 'ERR_SSH_FORWARD' as const

  static {
    this.brand('ERR_SSH_FORWARD')
  }
}
