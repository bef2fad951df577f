import { fileURLToPath } from 'node:url'
import { clientEnv, runClientProcess } from './client-process.js'
import type { ClientTarget } from './client-target.js'

/** Names Debian's Python, which has python3-paramiko and python3-asyncssh (a pyenv shim has not). */
export const SYSTEM_PYTHON = '/usr/bin/python3'

/** Names the Python client libraries the test bed drives. */
export type PythonClient = 'paramiko' | 'asyncssh'

/** Asks a Python client to run one command: stdin in, stdout, stderr and exit status out. */
export interface PythonExecScenario {
  scenario: 'exec'
  command: string
  /** Text for the command's stdin, then EOF (default ''). */
  stdin?: string
}

/**
 * Asks a Python client to upload `localFile` to `remoteDir/uploaded.bin`, list `remoteDir`,
 * posix-rename it to `renamed.bin`, list again, download it to `downloadTo` and stat it.
 */
export interface PythonSftpScenario {
  scenario: 'sftp'
  /** The directory as the server's SFTP names it (for a confined server, relative to its root). */
  remoteDir: string
  localFile: string
  downloadTo: string
}

/**
 * Asks a Python client to open a direct-tcpip channel to `destHost:destPort` (the server
 * connects), send the bytes of `payloadFile`, and write what comes back to `outputFile`.
 */
export interface PythonForwardScenario {
  scenario: 'forward'
  destHost: string
  destPort: number
  payloadFile: string
  outputFile: string
}

/** Names one scenario for {@link runPythonClient}. */
export type PythonScenario = PythonExecScenario | PythonSftpScenario | PythonForwardScenario

/** Holds what each scenario reports back. */
export interface PythonScenarioResults {
  exec: { stdout: string; stderr: string; exitStatus: number }
  sftp: { afterPut: string[]; afterRename: string[]; size: number }
  forward: { sent: number; received: number }
}

/** Holds a Python client's answer: the scenario's result, or the exception it raised. */
export type PythonClientOutcome<S extends PythonScenario> =
  | { ok: true; result: PythonScenarioResults[S['scenario']]; version: string }
  | { ok: false; error: string; message: string; trace: string; stderr: string }

/** Configures {@link runPythonClient}. */
export interface PythonClientOptions {
  /** Kill the script after this many milliseconds (default 60 000; it bounds itself at 40 s). */
  timeoutMs?: number
  signal?: AbortSignal
}

/**
 * Runs a scenario with paramiko or asyncssh against `target`, in a fixture script under
 * packages/testbed/fixtures run by /usr/bin/python3, with the host keys pinned (paramiko:
 * HostKeys and RejectPolicy; asyncssh: `known_hosts=`) and only the target's key offered (no
 * agent, no ~/.ssh). An exception in the client is an outcome (`ok: false`, its class name
 * in `error`), not a rejection.
 *
 * @example
 * ```ts
 * const out = await runPythonClient('asyncssh', clientTargetOf(sshd), { scenario: 'exec', command: 'exit 3' })
 * // out.ok && out.result.exitStatus === 3
 * ```
 * @throws ClientRunError when the script times out or cannot start; Error when it prints no JSON.
 */
export async function runPythonClient<S extends PythonScenario>(
  client: PythonClient,
  target: ClientTarget,
  scenario: S,
  options: PythonClientOptions = {},
): Promise<PythonClientOutcome<S>> {
  const script = fileURLToPath(new URL(`../fixtures/${client}_client.py`, import.meta.url))
  const request = JSON.stringify({ ...scenario, target })
  const run = await runClientProcess(SYSTEM_PYTHON, [script], {
    input: request,
    timeoutMs: options.timeoutMs ?? 60_000,
    signal: options.signal,
    // Debian's cryptography warns about Blowfish/CAST5 on every asyncssh import.
    env: clientEnv({ PYTHONWARNINGS: 'ignore', PYTHONDONTWRITEBYTECODE: '1' }),
  })
  let parsed: { result?: unknown; version?: string; error?: string; message?: string; trace?: string }
  try {
    parsed = JSON.parse(run.stdout.toString('utf8')) as typeof parsed
  } catch (err) {
    throw new Error(`${client} script printed no JSON (exit ${run.code}); stderr: ${run.stderr.trim()}`, { cause: err })
  }
  if (parsed.error !== undefined || run.code !== 0) {
    return { ok: false, error: parsed.error ?? 'unknown', message: parsed.message ?? '', trace: parsed.trace ?? '', stderr: run.stderr }
  }
  return { ok: true, result: parsed.result as PythonScenarioResults[S['scenario']], version: parsed.version ?? '' }
}
