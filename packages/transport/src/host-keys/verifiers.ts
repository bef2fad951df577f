import { createHash } from 'node:crypto'
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
  /** Returns the algorithms of the pinned key's type, whatever the host ([] for a fingerprint pin). */
  preferredAlgorithms(hostname: string, port: number): string[]
  /** The pinned key; undefined when pinned by fingerprint. */
  readonly key: PublicKey | undefined
  /** The pinned key's fingerprint, 'SHA256:…'. */
  readonly fingerprint: string
}

const SHA256_FINGERPRINT = /^SHA256:([A-Za-z0-9+/]{43})=?$/i

/**
 * Reads 'SHA256:base64' (what `ssh-keygen -lf` and cloud consoles print; '=' padding allowed) into
 * the 32 hash bytes. Returns undefined for a string that does not claim to be a fingerprint.
 * @throws TypeError for a malformed SHA256 fingerprint, and for an MD5 one (not accepted).
 */
function parseFingerprint(text: string): Buffer | undefined {
  const trimmed = text.trim()
  if (/^MD5:/i.test(trimmed)) {
    throw new TypeError("MD5 fingerprints are not accepted: pin the SHA256 one ('SHA256:…', from ssh-keygen -E sha256 -lf <key>)")
  }
  if (!/^SHA256:/i.test(trimmed)) return undefined
  const m = SHA256_FINGERPRINT.exec(trimmed)
  const hash = m ? Buffer.from(m[1]!, 'base64') : undefined
  // Exactly 32 bytes, and canonical base64 (the last character carries 2 unused bits, which must be 0).
  if (hash?.length !== 32 || hash.toString('base64').slice(0, 43) !== m![1]) {
    throw new TypeError("a host-key fingerprint must be 'SHA256:' and 43 base64 characters, as ssh-keygen -lf prints it")
  }
  return hash
}

/**
 * Builds a verifier that accepts exactly one key, wherever it is met: pinning, as with
 * `ssh -o StrictHostKeyChecking=yes` over a one-line known_hosts. paramiko: `add(hostname, key)`
 * to an empty `HostKeys` plus `RejectPolicy`. Any other key makes the verifier throw.
 *
 * A fingerprint pins the key whose SHA-256 it is; it names no key type, so the server may offer
 * another of its keys first: pin the fingerprint of the type it presents (the error names it), or
 * choose that type with `algorithms.serverHostKey`.
 *
 * @example
 * ```ts
 * const t = new Transport('db.internal:22', { hostKeyVerifier: fixedHostKey('SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s') })
 * ```
 * @param pin - A {@link PublicKey}; an OpenSSH line `type base64 [comment]` (an `ssh-keyscan`
 *   line, with its host field, is not accepted: drop the host first); or a fingerprint
 *   'SHA256:base64' as `ssh-keygen -lf` prints it (MD5 fingerprints are refused).
 * @throws {@link KeyError} (when called) `reason: 'invalid' | 'unsupported'` for a bad line.
 * @throws TypeError (when called) for a malformed or MD5 fingerprint, or an argument of the wrong type.
 * The verifier rejects with {@link HostKeyError} `reason: 'rejected'` (with `expected` holding the
 * pinned fingerprint) for any other key; it never resolves to false.
 */
export function fixedHostKey(pin: PublicKey | string | Buffer): FixedHostKeyVerifier {
  const hash = typeof pin === 'string' ? parseFingerprint(pin) : undefined
  const pinned = hash !== undefined ? undefined : pin instanceof PublicKey ? pin : PublicKey.parse(pin)
  const expected = pinned?.fingerprint ?? `SHA256:${hash!.toString('base64').replace(/=+$/, '')}`
  const matches = (key: PublicKey): boolean =>
    pinned !== undefined ? key.equals(pinned) : createHash('sha256').update(key.blob).digest().equals(hash!)
  const verify = async (key: PublicKey, target: HostKeyTarget): Promise<boolean> => {
    if (key instanceof PublicKey && matches(key)) return true
    const fingerprint = key instanceof PublicKey ? key.fingerprint : ''
    const type = key instanceof PublicKey ? `${key.type} ` : ''
    throw new HostKeyError(
      `host key ${type}${fingerprint} of ${target.hostname}:${target.port} is not the pinned key ${expected}`,
      { reason: 'rejected', host: target.hostname, port: target.port, fingerprint, expected: [expected] },
    )
  }
  const algorithms = pinned ? hostKeyAlgorithmsFor([pinned.type]) : []
  return Object.assign(verify, { preferredAlgorithms: () => [...algorithms], key: pinned, fingerprint: expected })
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
