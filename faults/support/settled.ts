import { waitFor } from '@x/testbed'
import type { LeakReport, leakProbe } from './leaks.js'

/**
 * Waits (at most `timeoutMs`) until every handle opened since the probe's baseline has closed,
 * then runs `probe.check()`. Handles closed a moment ago (a refused connect's request, a
 * destroyed socket) stay listed by `process.getActiveResourcesInfo()` until libuv's close
 * callbacks run; a handle that is really leaked stays and is reported.
 */
export async function checkWhenSettled(probe: ReturnType<typeof leakProbe>, timeoutMs = 3_000): Promise<LeakReport> {
  const baseline = probe.before.resources
  await waitFor(() => extra(process.getActiveResourcesInfo(), baseline) === 0, { timeoutMs, intervalMs: 25 }).catch(() => {})
  return probe.check()
}

/** How many entries of `now` are not matched by an entry of `before` (multiset difference). */
function extra(now: readonly string[], before: readonly string[]): number {
  const left = new Map<string, number>()
  for (const item of before) left.set(item, (left.get(item) ?? 0) + 1)
  let count = 0
  for (const item of now) {
    const n = left.get(item) ?? 0
    if (n > 0) left.set(item, n - 1)
    else count++
  }
  return count
}
