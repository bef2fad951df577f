import { readFileSync } from 'node:fs'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/** Resident set size of process `pid` in bytes (VmRSS from /proc), or 0 when it is gone. */
export function rssOf(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
    return kb === undefined ? 0 : Number(kb) * 1024
  } catch {
    return 0
  }
}

setFlagsFromString('--expose-gc')
const gcFunction = runInNewContext('gc') as () => void

/** Runs a full garbage collection twice (so RSS reflects what is still referenced), then yields once. */
export async function collectGarbage(): Promise<void> {
  gcFunction()
  await new Promise((r) => setImmediate(r))
  gcFunction()
}

/** Samples the peak RSS of `pids` (summed) every 10 ms while `work` runs; resolves its result and the peak. */
export async function peakRss<T>(pids: () => readonly number[], work: () => Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = 0
  const sample = (): void => { peak = Math.max(peak, pids().reduce((sum, pid) => sum + rssOf(pid), 0)) }
  sample()
  const timer = setInterval(sample, 10)
  try {
    const result = await work()
    sample()
    return { result, peak }
  } finally {
    clearInterval(timer)
  }
}
