// Test-only: runs the x-sshd CLI from source under tsx, as `pnpm x-sshd` does, and waits for it.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { waitFor } from '@x/testbed'

const LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))

/** One running x-sshd and what it printed so far. */
export interface CliProcess extends AsyncDisposable {
  readonly child: ChildProcess
  readonly stdout: () => string
  readonly stderr: () => string
  /** Resolves with the exit code (or signal) once the process ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Waits (bounded) until stdout says `listening on HOST:PORT` and returns the port. */
  listening(timeoutMs?: number): Promise<number>
}

/** The argv (node first) that runs `x-sshd ...args` from source. */
export function cliArgv(args: readonly string[]): string[] {
  return [process.execPath, '--conditions=source', '--import', LOADER, MAIN, ...args]
}

/** Spawns `x-sshd ...args`; disposing it kills it (SIGKILL) if still running and waits for the exit. */
export function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const [file, ...argv] = cliArgv(args)
  const child = spawn(file!, argv, {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  let ended = false
  void exited.then(() => (ended = true))
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async listening(timeoutMs = 20_000) {
      const early = exited.then(() => {
        throw new Error(`x-sshd exited before listening: ${err}`)
      })
      early.catch(() => undefined)
      const m = await Promise.race([
        waitFor(() => ended || /^listening on (?:\[[^\]]+\]|[^:\s]+):(\d+)$/m.exec(out), { timeoutMs, description: 'x-sshd listening' }),
        early,
      ])
      if (m === true) return early as never
      return Number(m[1])
    },
    async [Symbol.asyncDispose]() {
      if (!ended) child.kill('SIGKILL')
      await exited
    },
  }
}

/** Runs `x-sshd ...args` to its end with `input` on stdin (bounded) and returns what it printed. */
export async function runCli(args: readonly string[], input = '', timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  await using cli = spawnCli(args)
  cli.child.stdin!.end(input)
  let timer: NodeJS.Timeout | undefined
  const r = await Promise.race([cli.exited, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`x-sshd ${args.join(' ')} did not exit`)), timeoutMs)))]).finally(() => clearTimeout(timer))
  return { code: r.code, stdout: cli.stdout(), stderr: cli.stderr() }
}
