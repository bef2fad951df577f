// Runs a package's CLI from its TypeScript source under tsx, as the root scripts (`pnpm x-sshd`,
// `pnpm x-ssh-router`) do, and waits for it — bounded — to listen or to exit.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { waitFor } from './wait.js'

const LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href

/** One running CLI and what it printed so far. */
export interface CliProcess extends AsyncDisposable {
  readonly child: ChildProcess
  readonly stdout: () => string
  readonly stderr: () => string
  /** Resolves with the exit code (or signal) once the process ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Waits (bounded) until stdout has `count` lines `listening on HOST:PORT` and returns their ports. */
  listeningAll(count: number, timeoutMs?: number): Promise<number[]>
  /** Waits (bounded) until stdout says `listening on HOST:PORT` and returns the port. */
  listening(timeoutMs?: number): Promise<number>
}

/** A CLI whose entry point is the TypeScript file `main`; `name` labels its errors. */
export interface SourceCli {
  /** The argv (node first) that runs the CLI with `args`. */
  argv(args: readonly string[]): string[]
  /** Spawns the CLI; disposing it kills it (SIGKILL) if still running and waits for the exit. */
  spawn(args: readonly string[], env?: NodeJS.ProcessEnv): CliProcess
  /** Runs the CLI to its end with `input` on stdin (bounded) and returns what it printed. */
  run(args: readonly string[], input?: string, timeoutMs?: number): Promise<{ code: number | null; stdout: string; stderr: string }>
}

const LISTENING = /^listening on (?:\[[^\]]+\]|[^:\s]+):(\d+)$/gm

/** The CLI at `main` (an absolute path to its main.ts). */
export function sourceCli(main: string, name: string): SourceCli {
  const argv = (args: readonly string[]): string[] => [process.execPath, '--conditions=source', '--import', LOADER, main, ...args]
  const spawnCli = (args: readonly string[], env: NodeJS.ProcessEnv = {}): CliProcess => {
    const [file, ...rest] = argv(args)
    const child = spawn(file!, rest, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
    let ended = false
    void exited.then(() => (ended = true))
    const listeningAll = async (count: number, timeoutMs = 20_000): Promise<number[]> => {
      const ports = (): number[] => [...out.matchAll(LISTENING)].map((m) => Number(m[1]))
      await waitFor(() => ended || ports().length >= count, { timeoutMs, description: `${name} listening` })
      if (ports().length < count) throw new Error(`${name} exited before listening: ${err}`)
      return ports().slice(0, count)
    }
    return {
      child,
      stdout: () => out,
      stderr: () => err,
      exited,
      listeningAll,
      listening: async (timeoutMs) => (await listeningAll(1, timeoutMs))[0]!,
      async [Symbol.asyncDispose]() {
        if (!ended) child.kill('SIGKILL')
        await exited
      },
    }
  }
  return {
    argv,
    spawn: spawnCli,
    async run(args, input = '', timeoutMs = 20_000) {
      await using cli = spawnCli(args)
      cli.child.stdin!.end(input)
      let timer: NodeJS.Timeout | undefined
      const r = await Promise.race([cli.exited, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${name} ${args.join(' ')} did not exit`)), timeoutMs)))]).finally(() => clearTimeout(timer))
      return { code: r.code, stdout: cli.stdout(), stderr: cli.stderr() }
    },
  }
}
