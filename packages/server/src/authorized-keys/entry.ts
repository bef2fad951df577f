/** The types an {@link AuthorizedKeys} file is made of: its entries and its rejected lines. */
import type { PublicKey } from '@x/transport'
import type { KeyOptions } from './options.js'

/** One usable line of an authorized_keys file. */
export interface AuthorizedKeyEntry {
  /** The file (or the `file` given to `AuthorizedKeys.parse`). */
  readonly source: string
  /** 1-based line number. */
  readonly line: number
  /** The key (or, with `options.certAuthority`, the CA key). */
  readonly key: PublicKey
  /** The parsed options; every flag at its default when the line has none. */
  readonly options: KeyOptions
  /** The comment after the key, or ''. */
  readonly comment: string
}

/** Why a line was rejected. */
export type RejectedLineKind =
  /** The options field: an unknown option, a bad value, a stray character (sshd rejects the line). */
  | 'bad-options'
  /** The key type is not one OpenSSH knows (sshd skips the line). */
  | 'unknown-key-type'
  /** OpenSSH knows the type but this library cannot match it (DSA, security keys, certificates). */
  | 'unsupported-key-type'
  /** The base64 is malformed, or the blob is not a key of the named type. */
  | 'bad-key'

/** A line that no key can match, with the reason. */
export interface RejectedLine {
  /** The file (or the `file` given to `AuthorizedKeys.parse`). */
  readonly source: string
  /** 1-based line number. */
  readonly line: number
  /** What kind of fault; see {@link RejectedLineKind}. */
  readonly kind: RejectedLineKind
  /** Says what was wrong. */
  readonly reason: string
}
