/**
 * A queue that runs async tasks one at a time, in order: path operations of one fsSftp handler
 * go through it so no client (nor two sessions of one handler) can race a path check against
 * its own renames and symlinks.
 */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve()

  /** Runs `task` after every task queued before it has settled; returns its result. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task, task)
    this.#tail = result.catch(() => {})
    return result
  }
}
