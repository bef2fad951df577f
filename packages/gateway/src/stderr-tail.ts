import type { Readable } from 'node:stream'

/**
 * Drains a child's stderr continuously (so the child never blocks on a full pipe) and keeps
 * only its last `limit` bytes. @internal
 */
export class StderrTail {
  readonly #limit: number
  #buffer = Buffer.alloc(0)
  #truncated = false
  /** Resolves when the stream has ended, errored or closed. */
  readonly ended: Promise<void>

  /** Starts draining `stream`. */
  constructor(stream: Readable, limit: number) {
    this.#limit = limit
    this.ended = new Promise((resolve) => {
      stream.once('end', resolve)
      stream.once('close', resolve)
    })
    stream.on('error', () => {}) // a broken pipe ends the tail, nothing more
    stream.on('data', (chunk: Buffer) => this.#append(chunk))
  }

  /** The kept bytes as UTF-8 text (a character cut in half at the start is dropped). */
  get text(): string {
    const text = this.#buffer.toString('utf8')
    return this.#truncated ? text.replace(/^\uFFFD+/u, '') : text
  }

  /** The last non-empty line of the kept text, at most 200 characters. */
  get lastLine(): string {
    const lines = this.text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '')
    const last = lines[lines.length - 1] ?? ''
    return last.length > 200 ? `…${last.slice(-199)}` : last
  }

  #append(chunk: Buffer): void {
    if (chunk.length >= this.#limit) {
      this.#buffer = Buffer.from(chunk.subarray(chunk.length - this.#limit))
      this.#truncated = true
      return
    }
    const joined = Buffer.concat([this.#buffer, chunk])
    if (joined.length > this.#limit) this.#truncated = true
    this.#buffer = joined.length > this.#limit ? joined.subarray(joined.length - this.#limit) : joined
  }
}
