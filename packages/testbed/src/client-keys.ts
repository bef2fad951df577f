import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { makeTempDir, removeTempDir, removeTempDirOnExit } from './temp-dir.js'
import { generateKey } from './ssh-keygen.js'
import type { GeneratedKey } from './ssh-keygen.js'

/** A client key pair for tests; `passphrase` is set when the private key is encrypted. */
export interface ClientKey extends GeneratedKey {
  passphrase?: string
  /** 'openssh' (ssh-keygen's default) or 'pem' (`-m PEM`, the old PKCS#1 format). */
  format: 'openssh' | 'pem'
}

/** The client keys of this process; every test server authorizes all but `unauthorized`. */
export interface ClientKeys {
  ed25519: ClientKey
  /** ECDSA on nistp256. */
  ecdsa: ClientKey
  /** RSA, 3072 bits. */
  rsa: ClientKey
  /** Ed25519 encrypted with a random `passphrase`. */
  ed25519Encrypted: ClientKey
  /** RSA 2048 in PEM format, for loaders of the old format. */
  rsaPem: ClientKey
  /** A key no test server authorizes. */
  unauthorized: ClientKey
  /** The keys test servers put in their authorized_keys, in the order above. */
  authorized: readonly ClientKey[]
}

let cached: Promise<ClientKeys> | undefined

/**
 * Returns this process's test client keys, generating them with ssh-keygen on first call.
 *
 * The keys live in a private temp dir that is removed when the process exits.
 *
 * @throws Error when ssh-keygen fails.
 */
export function clientKeys(): Promise<ClientKeys> {
  cached ??= generateClientKeys().catch((err: unknown) => {
    cached = undefined
    throw err
  })
  return cached
}

async function generateClientKeys(): Promise<ClientKeys> {
  const dir = await makeTempDir('client-keys')
  try {
    const passphrase = randomBytes(12).toString('base64url')
    const key = async (
      name: string,
      type: GeneratedKey['type'],
      extra: { bits?: number; passphrase?: string; pem?: boolean } = {},
    ): Promise<ClientKey> => {
      const generated = await generateKey(type, join(dir, name), { ...extra, comment: `xssh-${name}` })
      const out: ClientKey = { ...generated, format: extra.pem ? 'pem' : 'openssh' }
      if (extra.passphrase !== undefined) out.passphrase = extra.passphrase
      return out
    }
    const [ed25519, ecdsa, rsa, ed25519Encrypted, rsaPem, unauthorized] = await Promise.all([
      key('id_ed25519', 'ed25519'),
      key('id_ecdsa', 'ecdsa', { bits: 256 }),
      key('id_rsa', 'rsa', { bits: 3072 }),
      key('id_ed25519_encrypted', 'ed25519', { passphrase }),
      key('id_rsa_pem', 'rsa', { bits: 2048, pem: true }),
      key('id_unauthorized', 'ed25519'),
    ])
    removeTempDirOnExit(dir)
    return {
      ed25519, ecdsa, rsa, ed25519Encrypted, rsaPem, unauthorized,
      authorized: [ed25519, ecdsa, rsa, ed25519Encrypted, rsaPem],
    }
  } catch (err) {
    await removeTempDir(dir)
    throw err
  }
}

/** Renders the authorized_keys text for a key set (every authorized key, one per line). */
export function authorizedKeysText(keys: ClientKeys): string {
  return keys.authorized.map((k) => `${k.publicLine}\n`).join('')
}
