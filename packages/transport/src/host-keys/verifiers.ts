import { HostKeyError } from '../errors.js'
import { PublicKey } from '../keys/public-key.js'
import { hostKeyAlgorithmsFor } from './algorithms.js'

/** The host a key is checked for: the name and port known_hosts files it under. */
export interface HostKeyTarget {
  readonly hostname: string
  readonly port: number
}

/**
 * Decides whether a server's host key is accepted (paramiko's `MissingHostKeyPolicy`, but called
 * for every key). Return `true` to accept, `false` to reject (the Transport raises
 * `HostKeyError{reason:'rejected'}`), or throw / reject with a {@link HostKeyError} carrying its
 * own reason. Anything but `true` rejects.
 *
 * A verifier may also carry a synchronous `preferredAlgorithms(hostname, port)` returning the
 * host-key algorithms already known for the host (OpenSSH names such as 'ssh-ed25519' or
 * 'rsa-sha2-512', best first; `[]` for no preference). A Transport puts those first in its
 * HostKeyAlgorithms offer, as OpenSSH does, so a server with several host keys presents the one
 * known_hosts has. {@link knownHosts} and {@link fixedHostKey} provide it; a plain function need not.
 */
export interface HostKeyVerifier {
  (key: PublicKey, target: HostKeyTarget): boolean | Promise<boolean>
  /** Returns the host-key algorithms to prefer for the host, best first. */
  preferredAlgorithms?(hostname: string, port: number): string[]
}

/** The verifier {@link fixedHostKey} returns: it always answers with a promise. */
export interface FixedHostKeyVerifier extends HostKeyVerifier {
  /** Resolves to true for the pinned key; rejects with {@link HostKeyError} `rejected` for any other. */
  (key: PublicKey, target: HostKeyTarget): Promise<boolean>
  /** Returns the algorithms of the pinned key's type, whatever the host. */
  preferredAlgorithms(hostname: string, port: number): string[]
  /** The pinned key. */
  readonly key: PublicKey
}

/**
 * Builds a verifier that accepts exactly one key, wherever it is met: pinning, as with
 * `ssh -o StrictHostKeyChecking=yes` over a one-line known_hosts. paramiko: `add(hostname, key)`
 * to an empty `HostKeys` plus `RejectPolicy`. Any other key makes the verifier throw.
 *
 * @param publicKeyOrOpenSSHLine - A {@link PublicKey}, or an OpenSSH line `type base64 [comment]`
 *   (an `ssh-keyscan` line, with its host field, is not accepted: drop the host first).
 * @throws {@link KeyError} (when called) `reason: 'invalid' | 'unsupported'` for a bad line.
 * @throws TypeError (when called) for an argument of the wrong type.
 * The verifier rejects with {@link HostKeyError} `reason: 'rejected'` (with `expected` holding the
 * pinned fingerprint) for any other key; it never resolves to false.
 */
export function fixedHostKey(publicKeyOrOpenSSHLine: PublicKey | string | Buffer): FixedHostKeyVerifier {
  const pinned = publicKeyOrOpenSSHLine instanceof PublicKey ? publicKeyOrOpenSSHLine : PublicKey.parse(publicKeyOrOpenSSHLine)
  const verify = async (key: PublicKey, target: HostKeyTarget): Promise<boolean> => {
    if (key instanceof PublicKey && key.equals(pinned)) return true
    const fingerprint = key instanceof PublicKey ? key.fingerprint : ''
    throw new HostKeyError(
      `host key ${fingerprint} of ${target.hostname}:${target.port} is not the pinned key ${pinned.fingerprint}`,
      { reason: 'rejected', host: target.hostname, port: target.port, fingerprint, expected: [pinned.fingerprint] },
    )
  }
  const algorithms = hostKeyAlgorithmsFor([pinned.type])
  return Object.assign(verify, { preferredAlgorithms: () => [...algorithms], key: pinned })
}

/**
 * Builds a verifier that accepts every host key, so anyone on the path can impersonate the
 * server. The only way, with {@link fixedHostKey}, to skip known_hosts; use it for throw-away test
 * servers only. paramiko's `AutoAddPolicy` without the saving.
 */
export function insecureAcceptAnyHostKey(): HostKeyVerifier {
  return () => true
}

export { knownHosts } from './known-hosts-verifier.js'
export type { KnownHostsOptions, KnownHostsVerifier } from './known-hosts-verifier.js'
