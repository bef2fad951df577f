import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { collectChildOutput } from './child-output.js'

/** Configures {@link runClientProcess}. */
export interface ClientProcessOptions {
  /** Kill the client's process group (SIGKILL) after this many milliseconds (default 30 000). */
  timeoutMs?: number
  /** Bytes written to the client's stdin, which is then closed (default: nothing, closed at once). */
  input?: string | Buffer
  /** The client's whole environment (default: PATH and LANG only, so no agent or HOME leaks in). */
  env?: NodeJS.ProcessEnv
  /** Working directory (default: this process's). */
  cwd?: string
  /** Kills the client (SIGKILL to its group) and rejects with `signal.reason`. */
  signal?: AbortSignal
}

/** Holds what a real SSH client printed and how it ended. */
export interface ClientProcessResult {
  /** Everything on its stdout, as bytes. */
  stdout: Buffer
  /** Everything on its stderr, as text. */
  stderr: string
  /** Exit code, or null when a signal ended it. */
  code: number | null
  signal: NodeJS.Signals | null
}

/** Signals that a real client could not be run to its end (`code` is stable). */
export class ClientRunError extends Error {
  override readonly name = 'ClientRunError'
  /** Always 'ERR_TESTBED_CLIENT'. */
  readonly code = 'ERR_TESTBED_CLIENT' as const
  /** 'timeout' (killed after `timeoutMs`) or 'spawn' (could not start). */
  readonly reason: 'timeout' | 'spawn'
  /** What the client printed on stderr before it was killed. */
  readonly stderr: string

  /** Creates the error for `what` (the command line). */
  constructor(what: string, reason: 'timeout' | 'spawn', stderr: string, options?: ErrorOptions) {
    super(`${what}: ${reason === 'timeout' ? 'timed out' : 'could not start'}; stderr: ${stderr.trim() || '(empty)'}`, options)
    this.reason = reason
    this.stderr = stderr
  }
}

/** Returns the small environment real clients run with unless told otherwise. */
export function clientEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', ...extra }
}

/** Sends `signal` to the process group `pid` leads; ignores a group already gone. */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (pid === undefined) return
  try {
    process.kill(-pid, signal)
  } catch {
    // ESRCH: the group has exited already
  }
}

/**
 * Runs a real client (`file` with `args`, no shell) to its exit and collects its output.
 *
 * The client leads its own session (`detached`): it has no controlling terminal, so a client
 * that would prompt fails or hangs instead of reading the test runner's tty, and a timeout or
 * abort kills its whole group. It is always reaped before this settles.
 *
 * @throws ClientRunError with reason 'timeout' or 'spawn'; `signal.reason` on abort.
 */
export async function runClientProcess(
  file: string,
  args: readonly string[],
  options: ClientProcessOptions = {},
): Promise<ClientProcessResult> {
  const { timeoutMs = 30_000, input, env = clientEnv(), cwd, signal } = options
  signal?.throwIfAborted()
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env, cwd, detached: true })
  const output = collectChildOutput(child, timeoutMs, () => killGroup(child.pid))
  const onAbort = (): void => killGroup(child.pid)
  signal?.addEventListener('abort', onAbort, { once: true })
  child.stdin.end(input)
  const [code, sig] = (await once(child, 'close').catch(() => [null, null])) as [number | null, NodeJS.Signals | null]
  output.stopTimer()
  signal?.removeEventListener('abort', onAbort)
  // A grandchild the client left behind would keep its group alive: end it too.
  killGroup(child.pid)
  const err = output.stderr()
  const what = `${file} ${args.join(' ')}`
  if (output.spawnError) throw new ClientRunError(what, 'spawn', err, { cause: output.spawnError })
  signal?.throwIfAborted()
  if (output.timedOut) throw new ClientRunError(what, 'timeout', err)
  return { stdout: output.stdout(), stderr: err, code, signal: sig }
}
