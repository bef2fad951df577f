import { readFileSync } from 'node:fs'

const TICKS_PER_SECOND = 100

/** CPU time (user + system, ms) that process `pid` has used so far, from /proc/<pid>/stat; 0 when gone. */
export function cpuMsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND
  } catch {
    return 0
  }
}
