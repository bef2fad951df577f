import { onAbort, TimeoutError } from '@x/transport'

/**
 * Runs `step` with a signal that aborts with `TimeoutError{phase:'connect'}` after `timeoutMs`
 * or with `signal`'s reason, whichever comes first; the timer and listener never outlive it.
 * 0 means no limit. @internal
 */
export async function withConnectTimeout<T>(
  timeoutMs: number,
  what: string,
  signal: AbortSignal,
  step: (bounded: AbortSignal) => Promise<T>,
): Promise<T> {
  if (timeoutMs === 0) return step(signal)
  const controller = new AbortController()
  if (signal.aborted) controller.abort(signal.reason)
  using _ = onAbort(signal, (reason) => controller.abort(reason))
  const timer = setTimeout(() => {
    controller.abort(new TimeoutError(`${what}: no answer within ${timeoutMs} ms`, { phase: 'connect', timeoutMs }))
  }, timeoutMs)
  try {
    return await step(controller.signal)
  } finally {
    clearTimeout(timer)
  }
}
