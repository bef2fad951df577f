/**
 * Small levers and probes for the dead-peer, server-lever and lossy-link cases: killing a
 * server's connection processes, counting our sockets to a port, and the keepalive bound.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs'

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

/** How many of this process's TCP sockets are connected to 127.0.0.1:`port` (/proc/net/tcp). */
export function socketsTo(port: number): number {
  const inodes = new Set<string>()
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))
      if (match) inodes.add(match[1]!)
    } catch {
      // closed meanwhile
    }
  }
  const remote = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`
  return readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f[2] === remote && f[9] !== undefined && inodes.has(f[9])).length
}
