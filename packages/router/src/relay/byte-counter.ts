/** Counts what a client connection relays each way, and turns it into recent rates. */

/** Bytes relayed by one client connection; rates over the time since the last {@link ByteCounter.rates}. */
export class ByteCounter {
  /** Bytes from the client towards the host, in total. */
  totalToHost = 0
  /** Bytes from the host towards the client, in total. */
  totalToClient = 0
  #mark: { at: number; toHost: number; toClient: number }
  readonly #now: () => number

  constructor(now: () => number = Date.now) {
    this.#now = now
    this.#mark = { at: now(), toHost: 0, toClient: 0 }
  }

  /** Records `n` bytes towards the host. */
  toHost(n: number): void {
    this.totalToHost += n
  }

  /** Records `n` bytes towards the client. */
  toClient(n: number): void {
    this.totalToClient += n
  }

  /** Bytes per second each way since the previous call (or since the start), and starts a new interval. */
  rates(): { toHost: number; toClient: number } {
    const at = this.#now()
    const secs = Math.max((at - this.#mark.at) / 1000, 0.001)
    const r = { toHost: (this.totalToHost - this.#mark.toHost) / secs, toClient: (this.totalToClient - this.#mark.toClient) / secs }
    this.#mark = { at, toHost: this.totalToHost, toClient: this.totalToClient }
    return r
  }
}
