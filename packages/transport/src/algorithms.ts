/**
 * Builds the algorithm offer: the caller's lists (checked against what this ssh2 build
 * supports), compression on request, and host-key algorithms already known for the host first,
 * as OpenSSH does, so a known host is not met with a key type we cannot check.
 */
import type { HostKeyVerifier } from './host-keys/verifiers.js'
import { algorithmTables } from './internal/protocol-internals.js'
import type { AlgorithmOptions, ResolvedTransportOptions } from './transport-options.js'

type Kind = keyof typeof algorithmTables.supported

/** Host-key algorithms that can verify a key of each type. */
const ALGORITHMS_FOR_KEY_TYPE: Readonly<Record<string, readonly string[]>> = {
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
}

/**
 * Lists the algorithms this build can negotiate, by option name (they depend on the protocol
 * library's version, OpenSSL and its optional native binding).
 */
export const supportedAlgorithms: Readonly<Record<'kex' | 'serverHostKey' | 'cipher' | 'mac' | 'compress', readonly string[]>> =
  algorithmTables.supported

/** Throws TypeError for an algorithm this ssh2 build does not implement. @internal */
export function checkAlgorithms(algorithms: AlgorithmOptions): void {
  for (const kind of Object.keys(algorithms) as Kind[]) {
    const supported = algorithmTables.supported[kind]
    for (const name of algorithms[kind] ?? []) {
      if (!supported.includes(name)) {
        throw new TypeError(`algorithms.${kind}: ${name} is not supported (supported: ${supported.join(', ')})`)
      }
    }
  }
}

/** The `algorithms` object for ssh2 1.17's `connect()` (its MAC key is `hmac`). @internal */
export function buildAlgorithms(
  options: ResolvedTransportOptions,
  verifier: HostKeyVerifier,
  target: { hostname: string; port: number },
): Record<string, string[]> {
  const a = options.algorithms
  const out: Record<string, string[]> = {}
  if (a.kex) out['kex'] = [...a.kex]
  if (a.cipher) out['cipher'] = [...a.cipher]
  if (a.mac) out['hmac'] = [...a.mac]
  out['compress'] = a.compress ? [...a.compress] : options.compression ? ['zlib@openssh.com', 'zlib', 'none'] : ['none']
  const hostKeyList = a.serverHostKey ? [...a.serverHostKey] : [...algorithmTables.defaults.serverHostKey]
  const knownTypes = verifier.preferredAlgorithms?.(target.hostname, target.port) ?? []
  const preferred = knownTypes.flatMap((type) => ALGORITHMS_FOR_KEY_TYPE[type] ?? [type]).filter((name) => hostKeyList.includes(name))
  out['serverHostKey'] = [...new Set([...preferred, ...hostKeyList])]
  return out
}
