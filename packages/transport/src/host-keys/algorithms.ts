/**
 * Maps key types to host-key algorithm names (RFC 8332 for rsa-sha2-*), in OpenSSH 9.2's
 * default HostKeyAlgorithms order, so a Transport can prefer algorithms already known for a host.
 */

const ALGORITHMS_BY_KEY_TYPE: Record<string, readonly string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'sk-ssh-ed25519@openssh.com': ['sk-ssh-ed25519@openssh.com'],
  'sk-ecdsa-sha2-nistp256@openssh.com': ['sk-ecdsa-sha2-nistp256@openssh.com'],
  // One RSA key serves all three signature algorithms.
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
  'ssh-dss': ['ssh-dss'],
}

const ORDER = Object.values(ALGORITHMS_BY_KEY_TYPE).flat()

/** Returns the host-key algorithms usable with keys of `keyTypes`, best first, without repeats. */
export function hostKeyAlgorithmsFor(keyTypes: Iterable<string>): string[] {
  const wanted = new Set<string>()
  for (const type of keyTypes) for (const alg of ALGORITHMS_BY_KEY_TYPE[type] ?? []) wanted.add(alg)
  return ORDER.filter((alg) => wanted.has(alg))
}
