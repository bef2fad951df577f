import { createHash } from 'node:crypto'

/**
 * Computes the 'SHA256:…' fingerprint of an OpenSSH public key line ('ssh-ed25519 AAAA…'),
 * the same string `ssh-keygen -lf` prints: unpadded base64 of the SHA-256 of the key blob.
 *
 * @throws Error when the line has no base64 key blob.
 */
export function fingerprintOfPublicLine(publicLine: string): string {
  const blob = publicLine.trim().split(/\s+/)[1]
  if (!blob) throw new Error('not an OpenSSH public key line')
  const digest = createHash('sha256').update(Buffer.from(blob, 'base64')).digest('base64')
  return `SHA256:${digest.replace(/=+$/, '')}`
}
