import { readProcessStat } from './proc.js'
import { waitFor } from './wait.js'

/**
 * Sends SIGSTOP to `pids` and waits (bounded) until each one is really stopped: kill() returns
 * before a busy process on another core has taken the signal, and a test that acts at once can
 * still get an answer from it. Processes that are gone already are skipped; returns those stopped.
 */
export async function freezeProcesses(pids: readonly number[], timeoutMs = 2_000): Promise<number[]> {
  const stopped: number[] = []
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGSTOP')
      stopped.push(pid)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err
    }
  }
  // Stopped (state T), or gone meanwhile (no stat, or a zombie): nothing of it can answer.
  const settled = (pid: number): boolean => {
    const state = readProcessStat(pid)?.state
    return state === undefined || state === 'T' || state === 'Z'
  }
  await waitFor(() => stopped.every(settled), { timeoutMs, intervalMs: 5, description: 'the processes to stop' })
  return stopped
}
