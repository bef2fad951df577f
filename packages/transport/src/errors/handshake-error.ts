import { SSHError } from './ssh-error.js'

/** Raises when the version exchange or key exchange fails (banner, kex, no common algorithm). */
export class HandshakeError extends SSHError {
  override readonly name = 'HandshakeError' as const
  override readonly code = 'ERR_SSH_HANDSHAKE' as const

  static {
    this.brand('ERR_SSH_HANDSHAKE')
  }
}
