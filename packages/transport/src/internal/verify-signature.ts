/**
 * Publickey signature verification for the server role (RFC 4252 §7). ssh2 1.17's server
 * accepts any publickey request that carries a signature (server.js:144-151, research G1), so
 * we check it ourselves with node:crypto over the bytes ssh2 assembled: string session
 * identifier, then the USERAUTH_REQUEST payload up to the signature (handlers.misc.js:256-282),
 * with the signature already unwrapped from its SSH encoding to what OpenSSL verifies.
 */
import { createPublicKey, verify } from 'node:crypto'
import { parseProtocolKey } from './protocol-keys.js'
import type { RawPublicKeyRequest } from './server-protocol.js'

const ECDSA_HASH: Readonly<Record<string, string>> = {
  'ecdsa-sha2-nistp256': 'sha256',
  'ecdsa-sha2-nistp384': 'sha384',
  'ecdsa-sha2-nistp521': 'sha512',
}

function blobType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined
  const len = blob.readUInt32BE(0)
  return len + 4 <= blob.length ? blob.subarray(4, 4 + len).toString('latin1') : undefined
}

/**
 * Tells whether `request` carries a valid signature by the key it names. False for a request
 * without signature, a key type that differs from the request's algorithm, an unparsable key
 * or a signature that does not verify; never throws.
 * @internal
 */
export function verifyPublicKeySignature(request: RawPublicKeyRequest): boolean {
  const signed = request.signed
  if (!signed) return false
  const type = blobType(request.blob)
  if (type === undefined || type !== request.algo) return false
  try {
    const parsed = parseProtocolKey(`${type} ${request.blob.toString('base64')}`, undefined)
    if (parsed instanceof Error) return false
    const key = Array.isArray(parsed) ? parsed[0] : parsed
    if (!key || key.type !== type) return false
    const publicKey = createPublicKey(key.getPublicPEM())
    let hash: string | null
    if (type === 'ssh-ed25519') hash = null
    else if (type === 'ssh-rsa') hash = signed.hash ?? 'sha1'
    else if (ECDSA_HASH[type]) hash = ECDSA_HASH[type]!
    else return false
    return verify(hash, signed.data, publicKey, signed.signature)
  } catch {
    return false
  }
}
