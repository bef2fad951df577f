/**
 * Queues session channels so that many `run()` calls on one Connection never exceed what the
 * server allows. sshd refuses a session beyond its MaxSessions (10 by default) with a channel-open
 * failure; the limiter starts at `maxSessions` and, when the server refuses a session while
 * others are open, lowers the limit to what is open now and queues the request again.
 * @internal
 */
import { ChannelOpenError, onAbort } from '@x/transport'

/** A counting semaphore for session channels whose limit learns from refusals. @internal */
export class SessionLimiter {
  #limit: number
  #active = 0
  readonly #waiting: Array<() => void> = []

  /** Creates a limiter allowing `limit` sessions at once. */
  constructor(limit: number) {
    this.#limit = limit
  }

  /** The current limit (lowered after a refusal). */
  get limit(): number {
    return this.#limit
  }

  /**
   * Runs `open` once a slot is free; if the server refuses the session while others are open,
   * learns the lower limit and waits for a slot again. The slot is held until `release` (given to
   * `open`'s result handling) is called.
   */
  async run<T>(open: () => Promise<T>, signal?: AbortSignal): Promise<{ value: T; release: () => void }> {
    for (;;) {
      await this.#acquire(signal)
      let released = false
      const release = (): void => {
        if (released) return
        released = true
        this.#active--
        this.#wakeOne()
      }
      try {
        return { value: await open(), release }
      } catch (err) {
        const othersOpen = this.#active - 1
        release()
        if (!(err instanceof ChannelOpenError) || othersOpen < 1) throw err
        this.#limit = Math.max(1, Math.min(this.#limit, othersOpen))
      }
    }
  }

  #acquire(signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted()
    if (this.#active < this.#limit) {
      this.#active++
      return Promise.resolve()
    }
    return new Promise<void>((resolve, reject) => {
      const wake = (): void => {
        aborting[Symbol.dispose]()
        this.#active++
        resolve()
      }
      const aborting = onAbort(signal, (reason) => {
        const at = this.#waiting.indexOf(wake)
        if (at >= 0) this.#waiting.splice(at, 1)
        reject(reason)
      })
      this.#waiting.push(wake)
    })
  }

  #wakeOne(): void {
    while (this.#active < this.#limit && this.#waiting.length > 0) this.#waiting.shift()!()
  }
}
