/**
 * How a Transport tells what it made (channels, sockets) that it ended, and why: Go's
 * `Conn.Wait`, asyncssh's `wait_closed`. One object per Transport; the channels hold it, so no
 * channel ever reaches into the protocol library to find its connection.
 */
import type { SSHError } from '../errors.js'

/** What a channel sees of its Transport's end. @internal */
export interface TransportEndView {
  /** Whether the transport has ended. */
  readonly ended: boolean
  /** Why it ended: undefined while it runs, or when its owner closed it in order. */
  readonly cause: SSHError | undefined
  /** Resolves when the transport ends, with {@link cause}. */
  wait(): Promise<SSHError | undefined>
  /**
   * Calls `listener` synchronously when the transport ends, before the protocol library closes
   * the channels (ssh2 1.17 closes them right after its 'close' event, and a channel nobody
   * reads never closes at all): a promise continuation would come too late. Runs at once when the
   * transport has already ended. Returns a Disposable that stops listening.
   */
  onEnd(listener: (cause: SSHError | undefined) => void): Disposable
}

/** The end of one Transport: ended once, by the Transport. @internal */
export class TransportEnd implements TransportEndView {
  readonly #listeners = new Set<(cause: SSHError | undefined) => void>()
  readonly #promise: Promise<SSHError | undefined>
  #resolve!: (cause: SSHError | undefined) => void
  #ended = false
  #cause: SSHError | undefined

  /** Creates the end of a transport that has not ended yet. */
  constructor() {
    this.#promise = new Promise((resolve) => {
      this.#resolve = resolve
    })
  }

  /** Whether {@link end} ran. */
  get ended(): boolean {
    return this.#ended
  }

  /** Why the transport ended (undefined: closed in order, or still running). */
  get cause(): SSHError | undefined {
    return this.#cause
  }

  /** Resolves with the cause once the transport ended. */
  wait(): Promise<SSHError | undefined> {
    return this.#promise
  }

  /** See {@link TransportEndView.onEnd}. */
  onEnd(listener: (cause: SSHError | undefined) => void): Disposable {
    if (this.#ended) {
      listener(this.#cause)
      return { [Symbol.dispose]: () => {} }
    }
    this.#listeners.add(listener)
    return { [Symbol.dispose]: () => void this.#listeners.delete(listener) }
  }

  /** Marks the transport ended with `cause`; listeners run now, in the order they came. Idempotent. */
  end(cause: SSHError | undefined): void {
    if (this.#ended) return
    this.#ended = true
    this.#cause = cause
    this.#resolve(cause)
    const listeners = [...this.#listeners]
    this.#listeners.clear()
    for (const listener of listeners) listener(cause)
  }
}
