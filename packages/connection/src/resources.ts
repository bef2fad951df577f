/**
 * A small ownership stack: what a Connection holds (its transport, SFTP client, forwards, a
 * ProxyCommand's process, the hops it built) is pushed as it is made and disposed in reverse,
 * as TC39's `AsyncDisposableStack` does (Python's `contextlib.AsyncExitStack`); ours so it runs
 * on Node 20.
 * @internal
 */

/** Anything the stack can close: an async or sync disposable, or an object with `close()`. */
export type Closeable = AsyncDisposable | Disposable | { close(): unknown }

type Entry = () => unknown

/**
 * Disposes what it holds in reverse order of `use`/`defer`; each entry runs once, even when an
 * earlier one failed. A disposed stack is empty and can be used again.
 *
 * @example
 * ```ts
 * await using setup = new Resources()
 * const a = setup.use(await openA())
 * const b = setup.use(await openB(a))
 * this.#held = setup.move() // success: the caller owns both; a failure above closes b, then a
 * ```
 */
export class Resources implements AsyncDisposable {
  #entries: Entry[] = []

  /** How many entries are held. */
  get size(): number {
    return this.#entries.length
  }

  /** Holds `resource` (closed by `Symbol.asyncDispose`, `Symbol.dispose` or `close()`) and returns it. */
  use<T extends Closeable>(resource: T): T {
    this.#push(() => closeOf(resource))
    return resource
  }

  /**
   * Holds `fn`, run at disposal in its turn. The returned handle lets go of it without running
   * it (for a resource that closed on its own).
   */
  defer(fn: () => unknown): Disposable {
    const entry: Entry = () => fn()
    this.#push(entry)
    return {
      [Symbol.dispose]: () => {
        const at = this.#entries.indexOf(entry)
        if (at >= 0) this.#entries.splice(at, 1)
      },
    }
  }

  /** Moves every entry into a new stack and leaves this one empty (the new owner disposes them). */
  move(): Resources {
    const moved = new Resources()
    moved.#entries = this.#entries
    this.#entries = []
    return moved
  }

  /**
   * Disposes every entry, last first, one at a time. Rejects with the first failure once all
   * have run (an `AggregateError` when several failed).
   */
  async dispose(): Promise<void> {
    const entries = this.#entries
    this.#entries = []
    const errors: unknown[] = []
    for (const entry of entries.reverse()) {
      try {
        await entry()
      } catch (err) {
        errors.push(err)
      }
    }
    if (errors.length === 1) throw errors[0]
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} resources failed to close`)
  }

  /** Disposes the stack; `await using stack = new Resources()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose()
  }

  #push(entry: Entry): void {
    this.#entries.push(entry)
  }
}

function closeOf(resource: Closeable): unknown {
  if (Symbol.asyncDispose in resource) return resource[Symbol.asyncDispose]()
  if (Symbol.dispose in resource) return resource[Symbol.dispose]()
  return resource.close()
}
