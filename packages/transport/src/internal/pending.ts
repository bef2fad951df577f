/**
 * Tracks every in-flight operation of a Transport, so that each one settles exactly once:
 * by its own outcome, by its AbortSignal, by its timer, or by the transport closing.
 */
import { TimeoutError, type TimeoutPhase } from '../errors.js'
import { onAbort } from './abort.js'

/** How one tracked operation may end early. */
export interface TrackOptions {
  signal?: AbortSignal | undefined
  timeoutMs?: number | undefined
  phase?: TimeoutPhase
  /** Describes the operation in a timeout message, e.g. 'opening a session'. */
  what?: string
}

type Start<T> = (resolve: (value: T) => void, reject: (err: unknown) => void) => ((reason: unknown) => void) | void

/** The set of operations that must reject when their transport closes. */
export class PendingOps {
  readonly #ops = new Set<(err: unknown) => void>()
  #closedWith: unknown

  /** Whether {@link rejectAll} has run. */
  get closed(): boolean {
    return this.#closedWith !== undefined
  }

  /**
   * Runs `start`, tracking it until it settles. `start` may return a cancel function, called with the
   * reason when the operation ends early (abort, timeout, close), so it can free what it began.
   */
  track<T>(start: Start<T>, options: TrackOptions = {}): Promise<T> {
    const { signal, timeoutMs, phase = 'channel', what = 'the operation' } = options
    if (this.#closedWith !== undefined) return Promise.reject(this.#closedWith)
    if (signal?.aborted) return Promise.reject(signal.reason)
    return new Promise<T>((resolve, reject) => {
      let settled = false
      let cancel: ((reason: unknown) => void) | void = undefined
      let timer: NodeJS.Timeout | undefined
      let aborting: Disposable | undefined
      const finish = (): void => {
        settled = true
        this.#ops.delete(fail)
        aborting?.[Symbol.dispose]()
        if (timer) clearTimeout(timer)
      }
      const fail = (err: unknown): void => {
        if (settled) return
        finish()
        try {
          cancel?.(err)
        } finally {
          reject(err)
        }
      }
      this.#ops.add(fail)
      aborting = onAbort(signal, fail)
      if (timeoutMs !== undefined && timeoutMs > 0 && Number.isFinite(timeoutMs)) {
        timer = setTimeout(() => {
          fail(new TimeoutError(`${what} timed out after ${timeoutMs} ms`, { phase, timeoutMs }))
        }, timeoutMs)
      }
      try {
        cancel = start(
          (value) => {
            if (settled) return
            finish()
            resolve(value)
          },
          (err) => {
            if (settled) return
            finish()
            reject(err)
          },
        )
      } catch (err) {
        fail(err)
      }
      // `start` may have settled synchronously before `cancel` was assigned.
    })
  }

  /** Rejects every tracked operation with `err`, and all later ones too. */
  rejectAll(err: unknown): void {
    if (this.#closedWith === undefined) this.#closedWith = err
    for (const fail of [...this.#ops]) fail(err)
  }
}
