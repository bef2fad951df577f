import type { ChildProcessByStdio } from 'node:child_process'
import type { Readable, Writable } from 'node:stream'

/** Holds what {@link collectChildOutput} gathered; read it once the child has closed. */
export interface ChildOutput {
  /** Everything on the child's stdout so far. */
  stdout(): Buffer
  /** Everything on the child's stderr so far, as UTF-8 text. */
  stderr(): string
  /** The 'error' the child emitted (it could not start), if any. */
  readonly spawnError: Error | undefined
  /** True once the timeout fired and `kill` was called. */
  readonly timedOut: boolean
  /** Cancels the timeout; call it when the child has closed. */
  stopTimer(): void
}

/**
 * Collects the stdout and stderr of `child` (spawned with three pipes), records a failure to
 * start, ignores EPIPE on its stdin, and calls `kill` if it has not closed within `timeoutMs`.
 */
export function collectChildOutput(
  child: ChildProcessByStdio<Writable, Readable, Readable>,
  timeoutMs: number,
  kill: () => void,
): ChildOutput {
  const stdout: Buffer[] = []
  const stderr: Buffer[] = []
  let spawnError: Error | undefined
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    kill()
  }, timeoutMs)
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk))
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk))
  child.stdin.on('error', () => {}) // EPIPE when the child exits before reading its input
  child.on('error', (err) => {
    spawnError = err
  })
  return {
    stdout: () => Buffer.concat(stdout),
    stderr: () => Buffer.concat(stderr).toString('utf8'),
    get spawnError() {
      return spawnError
    },
    get timedOut() {
      return timedOut
    },
    stopTimer: () => clearTimeout(timer),
  }
}
