import { SSHError, type SSHErrorOptions } from './ssh-error.js'

/** Why a key could not be used. */
export type KeyErrorReason = 'unreadable' | 'unsupported' | 'passphrase' | 'invalid'

/** Raises when a key cannot be read or decrypted. */
export class KeyError extends SSHError {
  override readonly name = 'KeyError' as const
  override readonly code = 'ERR_SSH_KEY' as const
  /** unreadable: file error; unsupported: format or type; passphrase: wrong or missing; invalid: malformed. */
  readonly reason: KeyErrorReason

  static {
    this.brand('ERR_SSH_KEY')
  }

  /** Creates a key error. */
  constructor(message: string, fields: { reason: KeyErrorReason }, options?: SSHErrorOptions) {
    super(message, options)
    this.reason = fields.reason
  }
}
