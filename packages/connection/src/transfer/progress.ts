/**
 * Progress reporting for one transfer: counts bytes and makes sure the caller's last call
 * carries the final count, also when the transfer moved nothing.
 * @internal
 */
import type { TransferProgress } from './types.js'

/** Counts the bytes of one transfer and forwards them to the caller's callback. */
export class ProgressCounter {
  readonly #onProgress: TransferProgress | undefined
  readonly #total: number | undefined
  #bytes = 0
  #reported = -1

  /** Creates a counter for a source of `total` bytes (undefined when unknown). */
  constructor(onProgress: TransferProgress | undefined, total: number | undefined) {
    this.#onProgress = onProgress
    this.#total = total
  }

  /** Returns the bytes counted so far. */
  get bytes(): number {
    return this.#bytes
  }

  /** Records that `bytes` have been moved in all (not a delta) and reports it. */
  set(bytes: number): void {
    this.#bytes = bytes
    this.#report()
  }

  /** Records `n` more bytes and reports the new count. */
  add(n: number): void {
    this.set(this.#bytes + n)
  }

  /** Reports the final count unless the last report already carried it. */
  finish(): void {
    if (this.#reported !== this.#bytes) this.#report()
  }

  #report(): void {
    this.#reported = this.#bytes
    this.#onProgress?.(this.#bytes, this.#total)
  }
}
