import { setTimeout as sleep } from 'node:timers/promises'

/** Configures {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this many milliseconds (default 10 000). */
  timeoutMs?: number
  /** Poll this often (default 25 ms). */
  intervalMs?: number
  /** Names the condition in the timeout error. */
  description?: string
}

/**
 * Polls `check` until it returns a truthy value, and resolves with that value.
 *
 * @throws Error when `timeoutMs` passes first; the message names `description` and the last
 *   error `check` threw, if any.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const { timeoutMs = 10_000, intervalMs = 25, description = 'condition' } = options
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const value = await check()
      if (value) return value as NonNullable<T>
    } catch (err) {
      lastError = err
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : ''
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}${why}`, {
        cause: lastError,
      })
    }
    await sleep(intervalMs)
  }
}
