import { spawn } from 'node:child_process'
import { collectChildOutput } from './child-output.js'

/** Configures {@link runCommand}. */
export interface RunCommandOptions {
  /** Kill the command (SIGKILL) after this many milliseconds (default 30 000). */
  timeoutMs?: number
  /** Bytes written to the command's stdin, which is then closed. */
  input?: string | Buffer
  /** Extra environment variables, merged over `process.env`. */
  env?: NodeJS.ProcessEnv
  /** Resolve even when the command exits non-zero (default false: reject). */
  allowFailure?: boolean
  /** Run as this user id (root only; supplementary groups are dropped). */
  uid?: number
  /** Run with this group id (root only). */
  gid?: number
  /** Working directory (default: this process's). */
  cwd?: string
}

/** Holds what a finished command printed and how it ended. */
export interface CommandOutput {
  stdout: string
  stderr: string
  /** Exit code, or null when a signal ended it. */
  code: number | null
  signal: NodeJS.Signals | null
}

/**
 * Runs `file` with `args` (no shell), waits for it to exit and collects its output.
 *
 * The child is always reaped: a timeout kills it with SIGKILL and waits for its exit.
 *
 * @throws Error when the command cannot start, times out, or (unless `allowFailure`) exits
 *   non-zero; the message carries its stderr.
 */
export function runCommand(
  file: string,
  args: readonly string[],
  options: RunCommandOptions = {},
): Promise<CommandOutput> {
  const { timeoutMs = 30_000, input, env, allowFailure = false, uid, gid, cwd } = options
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: env ? { ...process.env, ...env } : process.env,
      uid,
      gid,
      cwd,
    })
    const output = collectChildOutput(child, timeoutMs, () => child.kill('SIGKILL'))
    child.on('close', (code, signal) => {
      output.stopTimer()
      const out: CommandOutput = { stdout: output.stdout().toString('utf8'), stderr: output.stderr(), code, signal }
      const what = `${file} ${args.join(' ')}`
      const { spawnError } = output
      if (spawnError) reject(new Error(`${what}: ${spawnError.message}`, { cause: spawnError }))
      else if (output.timedOut) reject(new Error(`${what}: timed out after ${timeoutMs} ms`))
      else if (code !== 0 && !allowFailure) {
        reject(new Error(`${what}: exited with ${code ?? signal}: ${out.stderr.trim()}`))
      } else resolve(out)
    })
    child.stdin.end(input)
  })
}
