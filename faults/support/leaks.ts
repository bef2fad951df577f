import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { childPids, descendantPids, openFdCount, waitFor } from '@x/testbed'

/** What a leak probe saw at one moment. */
export interface LeakSnapshot {
  /** Open file descriptors of this process (`/proc/self/fd`). */
  readonly fds: number
  /** `process.getActiveResourcesInfo()`, sorted. */
  readonly resources: readonly string[]
  /** Child processes, running or zombie. */
  readonly children: readonly number[]
  /** Heap used after a full garbage collection, in bytes. */
  readonly heapUsed: number
  /** Resident set size, in bytes. */
  readonly rss: number
  /** Process-wide listeners, per event name, on `process`. */
  readonly processListeners: Readonly<Record<string, number>>
}

/** How far a later snapshot may drift from its baseline. */
export interface LeakBounds {
  /** Extra fds allowed (default 2, as issue #5 asks). */
  readonly fdSlack?: number
  /** Heap growth allowed, in MiB (default 5). */
  readonly heapMiB?: number
  /** How long to wait for fds and children to settle (default 3000 ms). */
  readonly settleMs?: number
}

let gc: (() => void) | undefined

/** A full, synchronous garbage collection, enabling `--expose-gc` on first use. */
export function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc')
    gc = runInNewContext('gc') as () => void
  }
  gc()
  gc()
}

/** Takes a snapshot after a full garbage collection. */
export function snapshot(): LeakSnapshot {
  collectGarbage()
  const memory = process.memoryUsage()
  const processListeners: Record<string, number> = {}
  for (const name of process.eventNames()) processListeners[String(name)] = process.listenerCount(name)
  return {
    fds: openFdCount(),
    resources: [...process.getActiveResourcesInfo()].sort(),
    children: childPids(),
    heapUsed: memory.heapUsed,
    rss: memory.rss,
    processListeners,
  }
}

/** The differences between a baseline and now that break the bounds, as readable lines. */
export interface LeakReport {
  readonly before: LeakSnapshot
  readonly after: LeakSnapshot
  /** Heap growth in MiB (negative when the heap shrank). */
  readonly heapGrowthMiB: number
  /** Extra fds (negative when fewer are open). */
  readonly fdGrowth: number
  /** One line per broken bound; empty when clean. */
  readonly problems: readonly string[]
}

/**
 * Takes a baseline now; `check()` later waits (bounded) for fds, children and active resources
 * to settle, takes a
 * second snapshot and reports every bound it breaks: fds beyond `fdSlack`, active resources that
 * were not there before (timers, sockets, child processes of ours), new child or zombie
 * processes, heap growth beyond `heapMiB` after GC, and any new process-wide listener.
 */
export function leakProbe(bounds: LeakBounds = {}): { before: LeakSnapshot; check(): Promise<LeakReport> } {
  const fdSlack = bounds.fdSlack ?? 2
  const heapMiB = bounds.heapMiB ?? 5
  const settleMs = bounds.settleMs ?? 3000
  const before = snapshot()
  const check = async (): Promise<LeakReport> => {
    const known = new Set(before.children)
    // A handle closed a moment ago (a destroyed socket, a refused connect's request) stays listed
    // by getActiveResourcesInfo() until libuv's close callbacks run: wait for those too.
    const settled = (): boolean =>
      openFdCount() <= before.fds + fdSlack &&
      childPids().every((pid) => known.has(pid)) &&
      subtract([...process.getActiveResourcesInfo()], before.resources).length === 0
    await waitFor(settled, { timeoutMs: settleMs, intervalMs: 25 }).catch(() => {}) // the report says what is left
    const after = snapshot()
    const problems: string[] = []
    const fdGrowth = after.fds - before.fds
    if (fdGrowth > fdSlack) problems.push(`${fdGrowth} more fds open (${before.fds} → ${after.fds}, slack ${fdSlack})`)
    const extraResources = subtract(after.resources, before.resources)
    if (extraResources.length > 0) problems.push(`new active resources: ${extraResources.join(', ')}`)
    const newChildren = after.children.filter((pid) => !known.has(pid))
    if (newChildren.length > 0) problems.push(`new child processes: ${newChildren.join(', ')}`)
    for (const pid of newChildren) {
      const grandchildren = descendantPids(pid)
      if (grandchildren.length > 0) problems.push(`descendants of ${pid}: ${grandchildren.join(', ')}`)
    }
    const heapGrowthMiB = (after.heapUsed - before.heapUsed) / 2 ** 20
    if (heapGrowthMiB > heapMiB) problems.push(`heap grew ${heapGrowthMiB.toFixed(2)} MiB (bound ${heapMiB} MiB)`)
    for (const [name, count] of Object.entries(after.processListeners)) {
      const was = before.processListeners[name] ?? 0
      if (count > was) problems.push(`process-wide '${name}' listeners: ${was} → ${count}`)
    }
    return { before, after, heapGrowthMiB, fdGrowth, problems }
  }
  return { before, check }
}

/** Multiset difference: the entries of `a` not matched by an entry of `b`. */
function subtract(a: readonly string[], b: readonly string[]): string[] {
  const left = new Map<string, number>()
  for (const item of b) left.set(item, (left.get(item) ?? 0) + 1)
  const extra: string[] = []
  for (const item of a) {
    const n = left.get(item) ?? 0
    if (n > 0) left.set(item, n - 1)
    else extra.push(item)
  }
  return extra
}
