import type { KeyErrorReason } from './key-error.js'
import { SSHError, type SSHErrorOptions } from './ssh-error.js'

/** Why a key file was passed over: `missing` (no such file), or a {@link KeyErrorReason}. */
export type SkippedKeyReason = 'missing' | KeyErrorReason

/**
 * A key file that authentication passed over without offering it to the server: one named by
 * ssh_config's IdentityFile (`origin: 'identity-file'`) or one of OpenSSH's default key files
 * (`origin: 'default'`). Keys the caller listed are never skipped: they raise {@link KeyError}.
 */
export interface SkippedKey {
  /** The key file's path, as it was looked for (never key material). */
  readonly source: string
  /** Where the path came from. */
  readonly origin: 'identity-file' | 'default'
  /** Why it was not used: `passphrase` means encrypted with no passphrase given, or a wrong one. */
  readonly reason: SkippedKeyReason
}

/**
 * Raises when authentication fails; paramiko's `AuthenticationException`. Its `code` and `name`
 * are unions because {@link BadAuthenticationTypeError} extends it; an instance of this class
 * itself has `code: 'ERR_SSH_AUTH'`.
 */
export class AuthenticationError extends SSHError {
  override readonly name: 'AuthenticationError' | 'BadAuthenticationTypeError' = 'AuthenticationError'
  override readonly code: 'ERR_SSH_AUTH' | 'ERR_SSH_AUTH_BAD_TYPE' = 'ERR_SSH_AUTH'
  /** User name that was tried. */
  readonly username: string
  /** Methods tried, in order. */
  readonly triedMethods: readonly string[]
  /** Methods the server said may continue. */
  readonly allowedTypes: readonly string[]
  /** Key files passed over without being offered, and why ([] when none). */
  readonly skippedKeys: readonly SkippedKey[]

  static {
    this.brand('ERR_SSH_AUTH')
  }

  /** Creates an authentication error. */
  constructor(
    message: string,
    fields: {
      username: string
      triedMethods: readonly string[]
      allowedTypes: readonly string[]
      skippedKeys?: readonly SkippedKey[] | undefined
    },
    options?: SSHErrorOptions,
  ) {
    super(message, options)
    this.username = fields.username
    this.triedMethods = Object.freeze([...fields.triedMethods])
    this.allowedTypes = Object.freeze([...fields.allowedTypes])
    this.skippedKeys = Object.freeze((fields.skippedKeys ?? []).map((k) => Object.freeze({ source: k.source, origin: k.origin, reason: k.reason })))
  }
}

/** Raises when the server does not allow the method tried; paramiko's `BadAuthenticationType`. */
export class BadAuthenticationTypeError extends AuthenticationError {
  override readonly name = 'BadAuthenticationTypeError' as const
  override readonly code = 'ERR_SSH_AUTH_BAD_TYPE' as const

  static {
    this.brand('ERR_SSH_AUTH_BAD_TYPE')
  }
}
