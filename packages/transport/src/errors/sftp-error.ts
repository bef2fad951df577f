import { SSHError, type SSHErrorOptions } from './ssh-error.js'

/** Raises when an SFTP operation or transfer fails. */
export class SFTPError extends SSHError {
  override readonly name = 'SFTPError' as const
  override readonly code = 'ERR_SSH_SFTP' as const
  /** The remote path involved, if any. */
  readonly path: string | undefined
  /** SFTP status code (draft-ietf-secsh-filexfer-02 §7), if the server sent one. */
  readonly status: number | undefined

  static {
    this.brand('ERR_SSH_SFTP')
  }

  /** Creates an SFTP error. */
  constructor(message: string, fields: { path?: string | undefined; status?: number | undefined } = {}, options?: SSHErrorOptions) {
    super(message, options)
    this.path = fields.path
    this.status = fields.status
  }
}
