import { readFile, writeFile } from 'node:fs/promises'
import { runCommand } from './run-command.js'

/** Names OpenSSH's key tool by absolute path. */
export const SSH_KEYGEN = '/usr/bin/ssh-keygen'

/** Names the key types the test bed generates, as `ssh-keygen -t` does. */
export type KeyType = 'ed25519' | 'ecdsa' | 'rsa'

/** Configures {@link generateKey}. */
export interface GenerateKeyOptions {
  /** Bits: 256 for ecdsa (nistp256), 3072 for rsa by default. */
  bits?: number
  /** Encrypts the private key with this passphrase (default: unencrypted). */
  passphrase?: string
  /** Writes the private key as PEM (`-m PEM`) instead of the OpenSSH format. */
  pem?: boolean
  /** Key comment (default 'xssh-testbed'). */
  comment?: string
}

/** Describes a key pair on disk, as ssh-keygen wrote it. */
export interface GeneratedKey {
  type: KeyType
  privatePath: string
  privateText: string
  /** The public half as one OpenSSH line, 'ssh-ed25519 AAAA… comment'. */
  publicLine: string
  publicPath: string
  /** 'SHA256:…' as `ssh-keygen -lf` prints it. */
  fingerprint: string
}

/** Generates a key pair at `path` (and `path.pub`) with ssh-keygen. */
export async function generateKey(
  type: KeyType,
  path: string,
  options: GenerateKeyOptions = {},
): Promise<GeneratedKey> {
  const { passphrase = '', pem = false, comment = 'xssh-testbed' } = options
  const bits = options.bits ?? (type === 'rsa' ? 3072 : type === 'ecdsa' ? 256 : undefined)
  const args = ['-q', '-t', type, '-N', passphrase, '-C', comment, '-f', path]
  if (bits !== undefined) args.push('-b', String(bits))
  if (pem) args.push('-m', 'PEM')
  await runCommand(SSH_KEYGEN, args)
  const publicPath = `${path}.pub`
  const [privateText, publicText] = await Promise.all([
    readFile(path, 'utf8'),
    readFile(publicPath, 'utf8'),
  ])
  return {
    type,
    privatePath: path,
    privateText,
    publicLine: publicText.trim(),
    publicPath,
    fingerprint: await fingerprintOfFile(publicPath),
  }
}

/** Returns the 'SHA256:…' fingerprint of a public key file, as `ssh-keygen -lf` prints it. */
export async function fingerprintOfFile(publicPath: string): Promise<string> {
  const out = await runCommand(SSH_KEYGEN, ['-l', '-E', 'sha256', '-f', publicPath])
  const fingerprint = out.stdout.split(' ')[1]
  if (!fingerprint?.startsWith('SHA256:')) {
    throw new Error(`unexpected ssh-keygen -l output: ${out.stdout.trim()}`)
  }
  return fingerprint
}

/** Returns the fingerprint of one OpenSSH public key line (written to `scratchPath` first). */
export async function fingerprintOfLine(publicLine: string, scratchPath: string): Promise<string> {
  await writeFile(scratchPath, `${publicLine}\n`)
  return fingerprintOfFile(scratchPath)
}
