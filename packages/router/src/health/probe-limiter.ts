/**
 * A bound on how many background probes run at once: a pool of 10,000 hosts must not open
 * 10,000 sockets in one tick. On-demand checks do not queue here (routing never waits behind
 * the background).
 */

/** A counting semaphore whose waiters can be abandoned. */
export class ProbeLimiter {
  readonly #max: number
  #running = 0
  readonly #waiting: (() => void)[] = []

  /** Allows `max` holders at once. */
  constructor(max: number) {
    this.#max = max
  }

  /**
   * Resolves with a release function once a place is free.
   *
   * @throws the signal's reason when `signal` aborts first (the place is not taken).
   */
  acquire(signal: AbortSignal): Promise<() => void> {
    signal.throwIfAborted()
    return new Promise((resolve, reject) => {
      const grant = (): void => {
        signal.removeEventListener('abort', onAbort)
        this.#running++
        let released = false
        resolve(() => {
          if (released) return
          released = true
          this.#running--
          this.#waiting.shift()?.()
        })
      }
      const onAbort = (): void => {
        const at = this.#waiting.indexOf(grant)
        if (at >= 0) this.#waiting.splice(at, 1)
        reject(signal.reason)
      }
      if (this.#running < this.#max) return grant()
      signal.addEventListener('abort', onAbort, { once: true })
      this.#waiting.push(grant)
    })
  }
}
