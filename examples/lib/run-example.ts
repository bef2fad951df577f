/** Runs an example as its own process, the way a user would, for the examples' tests. */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url))

/** What a finished example printed, its exit code and how long it took. */
export interface ExampleRun {
  readonly stdout: string
  readonly stderr: string
  readonly code: number | null
  readonly ms: number
}

/** Runs `examples/<file>` with tsx (`--conditions=source`) and `args`; killed after `timeoutMs`. */
export function runExample(file: string, args: readonly string[] = [], timeoutMs = 60_000): Promise<ExampleRun> {
  const started = Date.now()
  return new Promise((resolve) => {
    execFile(tsx, ['--conditions=source', `examples/${file}`, ...args], { cwd: root, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0
      resolve({ stdout, stderr, code, ms: Date.now() - started })
    })
  })
}
