import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { cachedJson } from './key-cache.js'
import { generateKey } from './ssh-keygen.js'
import type { GeneratedKey } from './ssh-keygen.js'

/** Describes a client key pair for tests; `passphrase` is set when the private key is encrypted. */
export interface ClientKey extends GeneratedKey {
  passphrase?: string
  /** 'openssh' (ssh-keygen's default) or 'pem' (`-m PEM`, the old PKCS#1 format). */
  format: 'openssh' | 'pem'
}

/** Holds the client keys of this process; every test server authorizes all but `unauthorized`. */
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
 * Returns the test client keys, generating them with ssh-keygen on first call.
 *
 * They are made once per process, in a temp dir removed when the process exits, or once
 * per test run when the vitest globalSetup made a shared key cache (see key-cache.ts):
 * RSA-3072 generation takes a second or more, and every test file is a new process.
 *
 * @throws Error when ssh-keygen fails.
 */
export function clientKeys(): Promise<ClientKeys> {
  cached ??= cachedJson('client-keys', generateClientKeys).then(withAuthorized, (err: unknown) => {
    cached = undefined
    throw err
  })
  return cached
}

async function generateClientKeys(dir: string): Promise<ClientKeys> {
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
  return withAuthorized({ ed25519, ecdsa, rsa, ed25519Encrypted, rsaPem, unauthorized })
}

/** Builds the `authorized` list from the named keys (also after a JSON round trip). */
function withAuthorized(keys: Omit<ClientKeys, 'authorized'>): ClientKeys {
  const { ed25519, ecdsa, rsa, ed25519Encrypted, rsaPem } = keys
  return { ...keys, authorized: [ed25519, ecdsa, rsa, ed25519Encrypted, rsaPem] }
}

/** Renders the authorized_keys text for a key set (every authorized key, one per line). */
export function authorizedKeysText(keys: ClientKeys): string {
  return keys.authorized.map((k) => `${k.publicLine}\n`).join('')
}
