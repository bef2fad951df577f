/**
 * Bridges a {@link HostKeyVerifier} to ssh2's `hostVerifier`: the verifier's answer reaches ssh2
 * as a strict boolean, every error path rejects, and a re-key must present the same key.
 */
import { HostKeyError } from './errors.js'
import type { HostKeyVerifier } from './host-keys/verifiers.js'
import { PublicKey } from './keys/public-key.js'

/** The outcome the transport needs after ssh2 called the verifier. @internal */
export interface HostKeyCheckState {
  /** The key the server presented in the first key exchange. */
  key: PublicKey | undefined
  /** Why the key was refused, when it was. */
  error: HostKeyError | undefined
}

/** ssh2 1.17's two-argument `hostVerifier(keyBlob, verify)`. @internal */
export type Ssh2HostVerifier = (key: Buffer, verify: (ok: boolean) => void) => void

/** Builds ssh2's hostVerifier around `verifier`, recording the outcome in `state`. @internal */
export function makeHostVerifier(
  verifier: HostKeyVerifier,
  target: { hostname: string; port: number },
  state: HostKeyCheckState,
): Ssh2HostVerifier {
  return (blob, verify) => {
    let key: PublicKey
    try {
      key = PublicKey.fromBlob(blob)
    } catch (err) {
      state.error = new HostKeyError(`${target.hostname} sent an unparsable host key`, {
        reason: 'rejected',
        host: target.hostname,
        port: target.port,
        fingerprint: '',
      }, { cause: err })
      return verify(false)
    }
    if (state.key) {
      // A re-key: the server must keep its key (RFC 4253 §9 leaves it to the client).
      if (state.key.equals(key)) return verify(true)
      state.error = new HostKeyError(`${target.hostname} changed its host key during a re-key`, {
        reason: 'mismatch',
        host: target.hostname,
        port: target.port,
        fingerprint: key.fingerprint,
        expected: [state.key.fingerprint],
      })
      return verify(false)
    }
    state.key = key
    let answer: boolean | Promise<boolean>
    try {
      answer = verifier(key, { hostname: target.hostname, port: target.port })
    } catch (err) {
      state.error = asHostKeyError(err, key, target)
      return verify(false)
    }
    Promise.resolve(answer).then(
      (ok) => {
        if (ok === true) return verify(true)
        state.error = new HostKeyError(`host key ${key.fingerprint} of ${target.hostname} was rejected by the verifier`, {
          reason: 'rejected',
          host: target.hostname,
          port: target.port,
          fingerprint: key.fingerprint,
        })
        verify(false)
      },
      (err: unknown) => {
        state.error = asHostKeyError(err, key, target)
        verify(false)
      },
    )
  }
}

function asHostKeyError(err: unknown, key: PublicKey, target: { hostname: string; port: number }): HostKeyError {
  if (err instanceof HostKeyError) return err
  return new HostKeyError(`the host-key verifier for ${target.hostname} failed`, {
    reason: 'rejected',
    host: target.hostname,
    port: target.port,
    fingerprint: key.fingerprint,
  }, { cause: err })
}
