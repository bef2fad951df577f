/**
 * Converts PKCS#8 private keys (`BEGIN PRIVATE KEY`, `BEGIN ENCRYPTED PRIVATE KEY`, as
 * `ssh-keygen -m PKCS8` and `openssl genpkey` write them) into a format ssh2 1.17 parses:
 * its parser knows OpenSSH, PKCS#1/SEC1 PEM and PPK, not PKCS#8.
 */
import { createPrivateKey, randomBytes } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { KeyError } from '../errors.js'
import { sshStrings } from './ssh-wire.js'

const PKCS8 = /-----BEGIN (ENCRYPTED )?PRIVATE KEY-----/

/** Tells whether `text` holds a PKCS#8 PEM key, and whether it is encrypted. @internal */
export function pkcs8Kind(text: string): 'plain' | 'encrypted' | undefined {
  const m = PKCS8.exec(text)
  if (m === null) return undefined
  return m[1] === undefined ? 'plain' : 'encrypted'
}

const SUPPORTED_CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1'])

/**
 * Returns key text ssh2 can parse for the PKCS#8 key in `text`: PKCS#1 for RSA, SEC1 for
 * ECDSA, the OpenSSH format for Ed25519.
 *
 * @throws {@link KeyError} `passphrase` (encrypted, none or wrong given), `unsupported` (a type or
 *   curve SSH cannot use here), `invalid` (not a readable key).
 * @internal
 */
export function pkcs8ToSsh2(text: string, passphrase: Buffer | undefined, source: string): string {
  const encrypted = pkcs8Kind(text) === 'encrypted'
  if (encrypted && passphrase === undefined) {
    throw new KeyError(`private key ${source} is encrypted and no passphrase was given`, { reason: 'passphrase' })
  }
  let key: KeyObject
  try {
    key = createPrivateKey({ key: text, format: 'pem', ...(encrypted ? { passphrase } : {}) })
  } catch (err) {
    // OpenSSL reports a wrong passphrase as a bad decrypt or as an unreadable structure.
    const reason = encrypted ? 'passphrase' : 'invalid'
    const what = encrypted ? 'wrong passphrase for' : 'cannot read'
    throw new KeyError(`${what} PKCS#8 private key ${source}`, { reason }, { cause: err })
  }
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return key.export({ type: 'pkcs1', format: 'pem' }).toString()
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve ?? ''
      if (SUPPORTED_CURVES.has(curve)) return key.export({ type: 'sec1', format: 'pem' }).toString()
      throw new KeyError(`PKCS#8 private key ${source} uses curve ${curve}, not usable with SSH`, {
        reason: 'unsupported',
      })
    }
    case 'ed25519':
      return ed25519ToOpenSsh(key)
    default:
      throw new KeyError(`PKCS#8 private key ${source} is of type ${String(key.asymmetricKeyType)}, unsupported`, {
        reason: 'unsupported',
      })
  }
}

/** Writes an Ed25519 key in the unencrypted `openssh-key-v1` format (OpenSSH PROTOCOL.key). */
function ed25519ToOpenSsh(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' })
  const seed = Buffer.from(jwk.d ?? '', 'base64url')
  const pub = Buffer.from(jwk.x ?? '', 'base64url')
  const publicBlob = sshStrings('ssh-ed25519', pub)
  const check = randomBytes(4)
  let section = Buffer.concat([check, check, sshStrings('ssh-ed25519', pub, Buffer.concat([seed, pub]), '')])
  const padding = Buffer.from(Array.from({ length: (8 - (section.length % 8)) % 8 }, (_, i) => i + 1))
  section = Buffer.concat([section, padding])
  const count = Buffer.alloc(4)
  count.writeUInt32BE(1)
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0', 'latin1'),
    sshStrings('none', 'none', ''),
    count,
    sshStrings(publicBlob, section),
  ])
  const lines = body.toString('base64').match(/.{1,70}/g) ?? []
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`
}
