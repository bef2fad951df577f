/**
 * The key type names OpenSSH reads in authorized_keys (sshkey.c's key type table), and which
 * of them `@x/transport`'s PublicKey can hold.
 */

/** Plain key types a {@link PublicKey} holds. */
const SUPPORTED = new Set([
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'ssh-rsa',
])

/** Types OpenSSH knows but this library cannot match yet: DSA, security keys, certificates. */
const KNOWN_UNSUPPORTED = new Set([
  'ssh-dss',
  'sk-ecdsa-sha2-nistp256@openssh.com',
  'sk-ssh-ed25519@openssh.com',
  'ssh-xmss@openssh.com',
  'ssh-ed25519-cert-v01@openssh.com',
  'ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'ecdsa-sha2-nistp384-cert-v01@openssh.com',
  'ecdsa-sha2-nistp521-cert-v01@openssh.com',
  'ssh-rsa-cert-v01@openssh.com',
  'ssh-dss-cert-v01@openssh.com',
  'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'sk-ssh-ed25519-cert-v01@openssh.com',
  'ssh-xmss-cert-v01@openssh.com',
])

/** How a key type word is classified. */
export type KeyTypeKind = 'supported' | 'unsupported' | 'unknown'

/** Classifies a key type word as written in a line. */
export function keyTypeKind(word: string): KeyTypeKind {
  if (SUPPORTED.has(word)) return 'supported'
  if (KNOWN_UNSUPPORTED.has(word)) return 'unsupported'
  return 'unknown'
}
