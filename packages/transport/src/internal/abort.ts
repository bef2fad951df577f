/**
 * The one way this library listens to an AbortSignal: `onAbort` (a listener that is removed when
 * the returned Disposable is disposed) and `raceSignal` (a promise that rejects with the signal's
 * reason on abort). Both sit on Node's `events.addAbortListener` (Node 20.5+), which also runs
 * the listener when another listener stopped the event's propagation.
 */
import { addAbortListener } from 'node:events'

const NOTHING: Disposable = Object.freeze({ [Symbol.dispose](): void {} })

/**
 * Calls `fn` once when `signal` aborts (at once, on the next microtask, when it already has);
 * returns a Disposable that removes the listener. No signal: nothing to listen to, and the
 * Disposable does nothing. undici's and Node's own way of tying a listener's life to a scope:
 * `using _ = onAbort(signal, () => cancel())`.
 *
 * @example
 * ```ts
 * const stop = onAbort(options.signal, () => socket.destroy())
 * try { await work() } finally { stop[Symbol.dispose]() }
 * ```
 */
export function onAbort(signal: AbortSignal | undefined, fn: (reason: unknown) => void): Disposable {
  if (signal === undefined) return NOTHING
  if (signal.aborted) {
    let cancelled = false
    queueMicrotask(() => {
      if (!cancelled) fn(signal.reason)
    })
    return {
      [Symbol.dispose](): void {
        cancelled = true
      },
    }
  }
  return addAbortListener(signal, () => fn(signal.reason))
}

/**
 * Settles as `promise` does, or rejects with `signal.reason` as soon as `signal` aborts (at once
 * when it already has), whichever comes first; the abort listener is removed when it settles.
 * `promise` itself is not cancelled: the caller frees what it started (and a late rejection of
 * `promise` is handled here, so it never goes unhandled).
 *
 * @example
 * ```ts
 * const reply = await raceSignal(request(), options.signal)
 * ```
 */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise
  if (signal.aborted) {
    promise.catch(() => {})
    return Promise.reject(signal.reason)
  }
  return new Promise<T>((resolve, reject) => {
    const listener = addAbortListener(signal, () => {
      promise.catch(() => {})
      reject(signal.reason)
    })
    promise.then(
      (value) => {
        listener[Symbol.dispose]()
        resolve(value)
      },
      (err: unknown) => {
        listener[Symbol.dispose]()
        reject(err)
      },
    )
  })
}
