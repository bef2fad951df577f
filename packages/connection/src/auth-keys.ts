/**
 * Loads the private keys authentication offers and decides, by where a key came from, what a key
 * that cannot be used means (docs/authentication.md "Keys that cannot be used"):
 * - listed in `auth.privateKeys`: always a {@link KeyError} (unreadable, encrypted without a
 *   passphrase, wrong passphrase, unsupported): the caller asked for that key;
 * - named by ssh_config's IdentityFile: passed over like `ssh -o BatchMode=yes` does (missing,
 *   encrypted without a passphrase, unreadable, unsupported), recorded as a {@link SkippedKey};
 *   a wrong passphrase the caller gave is still a KeyError;
 * - one of OpenSSH's default key files (no IdentityFile set): passed over for any reason, a
 *   wrong passphrase included; a default file that does not exist is not recorded at all.
 * @internal
 */
import { existsSync } from 'node:fs'
import { KeyError, loadPrivateKey, type PrivateKey, type SkippedKey, type SkippedKeyReason } from '@x/transport'
import type { ConnectionAuthOptions } from './connection-options.js'
import { resolveSshConfig, type ResolvedSshConfig } from '@x/ssh-config'

/** Where a key came from: `auth.privateKeys`, ssh_config's IdentityFile, or OpenSSH's defaults. */
export type KeyOrigin = 'listed' | SkippedKey['origin']

let defaultIdentities: readonly string[] | undefined

/**
 * Tells whether the IdentityFile list is OpenSSH's default list (none configured): the list the
 * resolver gives when no config file is read at all.
 */
export function identityOrigin(config: ResolvedSshConfig): SkippedKey['origin'] {
  defaultIdentities ??= [resolveSshConfig('default-identities', { config: false })['identityfile'] ?? []].flat()
  const listed = [config['identityfile'] ?? []].flat()
  const isDefault = listed.length === defaultIdentities.length && listed.every((p, i) => p === defaultIdentities![i])
  return isDefault ? 'default' : 'identity-file'
}

/**
 * Loads one key, asking for a passphrase only when it is encrypted; returns a SkippedKey when
 * `origin` lets it be passed over, and undefined for a default key file that does not exist.
 * @throws KeyError for a listed key that cannot be used, or a wrong passphrase for an IdentityFile.
 */
export async function loadKeyFrom(
  source: PrivateKey | string | Buffer,
  origin: KeyOrigin,
  auth: ConnectionAuthOptions,
): Promise<PrivateKey | SkippedKey | undefined> {
  if (typeof source === 'object' && !Buffer.isBuffer(source)) return source
  const path = typeof source === 'string' && !source.includes('\n') ? source : undefined
  if (origin !== 'listed' && path !== undefined && !existsSync(path)) {
    return origin === 'default' ? undefined : skipped(path, origin, 'missing')
  }
  try {
    return await loadPrivateKey(source)
  } catch (err) {
    if (!(err instanceof KeyError)) throw err
    if (err.reason !== 'passphrase') return passOver(err, path, origin)
  }
  const label = path ?? '(from text)'
  const passphrase = typeof auth.passphrase === 'function' ? await auth.passphrase(label) : auth.passphrase
  if (passphrase === undefined || passphrase === '') {
    if (origin === 'listed') {
      throw new KeyError(`private key ${label} is encrypted and no auth.passphrase was given`, { reason: 'passphrase' })
    }
    return skipped(path ?? label, origin, 'passphrase')
  }
  try {
    return await loadPrivateKey(source, { passphrase })
  } catch (err) {
    if (origin === 'default' && err instanceof KeyError) return passOver(err, path, origin)
    throw err
  }
}

function passOver(err: KeyError, path: string | undefined, origin: KeyOrigin): SkippedKey {
  if (origin === 'listed' || path === undefined) throw err
  return skipped(path, origin, err.reason)
}

function skipped(source: string, origin: SkippedKey['origin'], reason: SkippedKeyReason): SkippedKey {
  return { source, origin, reason }
}

/** Tells a SkippedKey from a loaded key. */
export function isSkipped(value: PrivateKey | SkippedKey): value is SkippedKey {
  return !('publicKey' in value)
}
