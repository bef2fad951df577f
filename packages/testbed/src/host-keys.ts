import { chmod, copyFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { cachedJson } from './key-cache.js'
import { generateKey } from './ssh-keygen.js'
import type { GeneratedKey, KeyType } from './ssh-keygen.js'

/** Describes one host key of a test server, as a client sees it. */
export interface HostKey {
  /** The OpenSSH key type, the first field of `publicLine`: 'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ssh-rsa'. */
  type: string
  /** The public key as one OpenSSH line, 'ssh-ed25519 AAAA…'. */
  publicLine: string
  /** 'SHA256:…', as `ssh-keygen -lf` prints it. */
  fingerprint: string
}

/** Converts a generated key pair into what a client sees of it (no comment on the line). */
export function toHostKey(key: Pick<GeneratedKey, 'publicLine' | 'fingerprint'>): HostKey {
  const [type = '', blob = ''] = key.publicLine.split(/\s+/)
  return { type, publicLine: `${type} ${blob}`, fingerprint: key.fingerprint }
}

/**
 * Renders known_hosts lines naming `host` on `port` for every key, as OpenSSH writes them
 * (`[127.0.0.1]:2222 ssh-ed25519 AAAA…`; a bare host name on port 22).
 */
export function knownHostsLines(host: string, port: number, keys: readonly HostKey[]): string[] {
  const name = port === 22 ? host : `[${host}]:${port}`
  return keys.map((key) => `${name} ${key.publicLine}`)
}

/** Writes a known_hosts file for `host`:`port` holding every key; returns its lines. */
export async function writeKnownHostsFile(
  path: string,
  host: string,
  port: number,
  keys: readonly HostKey[],
): Promise<string[]> {
  const lines = knownHostsLines(host, port, keys)
  await writeFile(path, lines.map((l) => `${l}\n`).join(''))
  return lines
}

let cachedRsa: Promise<GeneratedKey> | undefined

/**
 * Generates OpenSSH host keys into `dir` (ssh_host_<type>_key, private files 0600).
 *
 * Ed25519 and ECDSA keys are fresh for every call. An RSA-3072 key takes a second or more
 * to generate, so one RSA host key is made per test run (see key-cache.ts) and copied into
 * each `dir`.
 */
export async function generateSshdHostKeys(
  dir: string,
  types: readonly KeyType[] = ['ed25519', 'ecdsa', 'rsa'],
): Promise<{ paths: string[]; keys: HostKey[] }> {
  const generated = await Promise.all(
    types.map(async (type) => {
      const path = join(dir, `ssh_host_${type}_key`)
      if (type !== 'rsa') return generateKey(type, path, { comment: 'xssh-testbed-host' })
      const shared = await processRsaHostKey()
      await copyFile(shared.privatePath, path)
      await chmod(path, 0o600)
      await copyFile(shared.publicPath, `${path}.pub`)
      return { ...shared, privatePath: path, publicPath: `${path}.pub` }
    }),
  )
  return { paths: generated.map((k) => k.privatePath), keys: generated.map(toHostKey) }
}

function processRsaHostKey(): Promise<GeneratedKey> {
  cachedRsa ??= cachedJson('rsa-host-key', (dir) =>
    generateKey('rsa', join(dir, 'ssh_host_rsa_key'), { bits: 3072, comment: 'xssh-testbed-host' }),
  ).catch((err: unknown) => {
    cachedRsa = undefined
    throw err
  })
  return cachedRsa
}
