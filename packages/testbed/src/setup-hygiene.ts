/**
 * Per-file hygiene check, loaded by vitest.config.ts `setupFiles` before every test file
 * (DESIGN.md §4): after the file's tests, no leaked file descriptor, child process (running
 * or zombie), unhandled rejection, uncaught exception or MaxListenersExceededWarning.
 *
 * Its `afterAll` is registered first, so vitest (hooks: 'stack') runs it after every
 * `afterAll` of the test file itself: servers the file closes in its own hooks are gone.
 */
import { afterAll, beforeAll, expect } from 'vitest'
import { childPids, openFdCount, processCommandLine, readProcessStat } from './proc.js'
import { waitFor } from './wait.js'

export { childPids, openFdCount }

/** How long `afterAll` waits for fds and children to return to their starting counts. */
const SETTLE_MS = 3000

let startFds = 0
let startChildren = new Set<number>()
const problems: string[] = []

const onUnhandledRejection = (reason: unknown): void => {
  problems.push(`unhandled rejection: ${explain(reason)}`)
}
const onUncaughtException = (err: unknown): void => {
  problems.push(`uncaught exception: ${explain(err)}`)
}
const onWarning = (warning: Error): void => {
  if (warning.name === 'MaxListenersExceededWarning') problems.push(`warning: ${warning.message}`)
}

beforeAll(() => {
  startFds = openFdCount()
  startChildren = new Set(childPids())
  process.on('unhandledRejection', onUnhandledRejection)
  process.on('uncaughtException', onUncaughtException)
  process.on('warning', onWarning)
})

afterAll(async () => {
  const newChildren = (): number[] => childPids().filter((pid) => !startChildren.has(pid))
  await waitFor(() => openFdCount() <= startFds && newChildren().length === 0, {
    timeoutMs: SETTLE_MS,
    intervalMs: 50,
  }).catch(() => {}) // the expectations below say what is left
  process.off('unhandledRejection', onUnhandledRejection)
  process.off('uncaughtException', onUncaughtException)
  process.off('warning', onWarning)
  const fds = openFdCount()
  const issues = [
    ...newChildren().map((pid) => `child process left running or unreaped: ${pid} (${describeProcess(pid)})`),
    ...(fds > startFds ? [`${fds - startFds} file descriptor(s) left open (${startFds} before, ${fds} after)`] : []),
    ...problems.splice(0),
  ]
  // One list, so a failure names every leak at once.
  expect(issues, 'test file hygiene (DESIGN.md §4)').toEqual([])
})

function explain(value: unknown): string {
  return value instanceof Error ? `${value.name}: ${value.message}` : String(value)
}

function describeProcess(pid: number): string {
  return `state ${readProcessStat(pid)?.state ?? '?'}: ${processCommandLine(pid)}`
}
