/**
 * Small levers and probes for the dead-peer, server-lever and lossy-link cases: killing a
 * server's connection processes and the keepalive bound.
 */

/** The keepalive the liveness cases use: 500 ms × 2, detected within (2+1)×500 + 1000 ms. */
export const SHORT_KEEPALIVE = { intervalMs: 500, countMax: 2 } as const

/** Issue #5's liveness bound for a keepalive: (countMax + 1) × interval + 1 s. */
export function keepaliveBoundMs(keepalive: { intervalMs: number; countMax: number }): number {
  return (keepalive.countMax + 1) * keepalive.intervalMs + 1_000
}

/** Ends stopped processes for good: SIGKILL, then SIGCONT so a stopped one acts on it at once. */
export function killStopped(pids: readonly number[]): void {
  for (const signal of ['SIGKILL', 'SIGCONT'] as const) {
    for (const pid of pids) {
      try {
        process.kill(pid, signal)
      } catch {
        // ESRCH: gone already
      }
    }
  }
}
