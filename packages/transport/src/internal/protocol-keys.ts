/**
 * Key parsing by the protocol library (ssh2 1.17 `utils.parseKey`), behind a key type of our
 * own. A {@link ProtocolKey} is what the publickey attempt hands back to the same library.
 */
import ssh2 from 'ssh2'

/** A parsed key as the protocol library holds it (ssh2 1.17's `ParsedKey`, the parts we use). @internal */
export interface ProtocolKey {
  readonly type: string
  readonly comment: string
  isPrivateKey(): boolean
  getPublicSSH(): Buffer
  /** Signs `data` (ssh2 returns an Error instead of throwing; typed as ssh2's types have it). */
  sign(data: Buffer, algorithm?: string): Buffer
  verify(data: Buffer, signature: Buffer, algorithm?: string): boolean
  getPrivatePEM(): string
  getPublicPEM(): string
}

/**
 * Parses key text or bytes (OpenSSH, PEM, PPK) with the protocol library: the keys found, or the
 * Error it reported (translate-error.ts turns its message into a KeyError reason).
 * @internal
 */
export function parseProtocolKey(input: string | Buffer, passphrase: Buffer | undefined): ProtocolKey | ProtocolKey[] | Error {
  return ssh2.utils.parseKey(input, passphrase) as unknown as ProtocolKey | ProtocolKey[] | Error
}
