import { SSHError, type SSHErrorOptions } from './ssh-error.js'

/** Why a host key was not accepted. */
export type HostKeyErrorReason = 'unknown' | 'mismatch' | 'revoked' | 'rejected'

/** Raises when the server's host key is not accepted. */
export class HostKeyError extends SSHError {
  override readonly name = 'HostKeyError' as const
  override readonly code = 'ERR_SSH_HOST_KEY' as const
  /** unknown: not in known_hosts; mismatch: another key is known; revoked: `@revoked`; rejected: a verifier said no. */
  readonly reason: HostKeyErrorReason
  /** Host name the key was checked under. */
  readonly host: string
  /** Port the key was checked under. */
  readonly port: number
  /** SHA256 fingerprint of the offered key. */
  readonly fingerprint: string
  /** Fingerprints of the keys known for this host, when `reason` is 'mismatch'. */
  readonly expected: readonly string[]
  /**
   * The known_hosts files read for the check (absolute, in order; the first is the one
   * 'accept-new' writes), when a known_hosts verifier raised the error; [] otherwise.
   */
  readonly knownHostsFiles: readonly string[]

  static {
    this.brand('ERR_SSH_HOST_KEY')
  }

  /** Creates a host-key error. */
  constructor(
    message: string,
    fields: {
      reason: HostKeyErrorReason
      host: string
      port: number
      fingerprint: string
      expected?: readonly string[] | undefined
      knownHostsFiles?: readonly string[] | undefined
    },
    options?: SSHErrorOptions,
  ) {
    super(message, options)
    this.reason = fields.reason
    this.host = fields.host
    this.port = fields.port
    this.fingerprint = fields.fingerprint
    this.expected = Object.freeze([...(fields.expected ?? [])])
    this.knownHostsFiles = Object.freeze([...(fields.knownHostsFiles ?? [])])
  }
}
