/**
 * The promise behind `waitClosed()` of the forwards: settled once, with why the forward closed.
 * @internal
 */
import type { SSHError } from '@x/transport'

/** Holds a promise that resolves (never rejects) with the cause given to {@link settle}. */
export class CloseCause {
  /** Resolves when the forward has closed: undefined for an orderly close, else the error. */
  readonly promise: Promise<SSHError | undefined>
  #resolve!: (cause: SSHError | undefined) => void
  #cause: SSHError | undefined

  constructor() {
    this.promise = new Promise((resolve) => {
      this.#resolve = resolve
    })
  }

  /** Records why the forward is closing (the first cause recorded wins). */
  note(cause: SSHError | undefined): void {
    this.#cause ??= cause
  }

  /** Resolves the promise with the cause noted, once the forward is closed. */
  settle(): void {
    this.#resolve(this.#cause)
  }
}
