import { execFile } from 'node:child_process'

/** What a finished command printed and how it ended. */
export interface CommandOutcome {
  readonly exitCode: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Options of {@link runCommand}. */
export interface RunCommandOptions {
  readonly cwd?: string
  readonly env?: NodeJS.ProcessEnv
  /** Kills the command (SIGKILL) after this long; the outcome then has `exitCode: null`. */
  readonly timeoutMs: number
}

/** Runs `file args` to completion without a shell and resolves with its output, never rejecting on a non-zero exit. */
export function runCommand(file: string, args: readonly string[], options: RunCommandOptions): Promise<CommandOutcome> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd: options.cwd, env: options.env, timeout: options.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const exitCode = error === null ? 0 : typeof error.code === 'number' ? error.code : null
        resolve({ exitCode, stdout: String(stdout), stderr: String(stderr) })
      },
    )
  })
}
