import { SSHError } from './ssh-error.js'

/** Raises when the peer, the socket or a gateway hop went away. */
export class ConnectionLostError extends SSHError {
  override readonly name = 'ConnectionLostError' as const
  override readonly code = 'ERR_SSH_CONNECTION_LOST' as const

  static {
    this.brand('ERR_SSH_CONNECTION_LOST')
  }
}
