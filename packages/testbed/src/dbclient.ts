import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { spawnClientDaemon } from './client-daemon.js'
import { clientEnv, runClientProcess } from './client-process.js'
import type { ClientProcessResult } from './client-process.js'
import type { ClientTarget } from './client-target.js'
import { withClientHome } from './client-home.js'
import { isListeningOnLoopback } from './listening.js'
import { freePort } from './ports.js'
import { runCommand } from './run-command.js'
import { makeTempDir, removeTempDir } from './temp-dir.js'
import { waitFor } from './wait.js'

/** Names Dropbear's client (Debian's dropbear-bin). */
export const DBCLIENT = '/usr/bin/dbclient'
/** Names Dropbear's key converter. */
export const DROPBEARCONVERT = '/usr/bin/dropbearconvert'

/** Configures {@link runDbclient}. */
export interface DbclientOptions {
  /** Bytes for the remote command's stdin, then EOF. */
  input?: string | Buffer
  /** Kill dbclient after this many milliseconds (default 30 000). */
  timeoutMs?: number
  signal?: AbortSignal
}

/**
 * Runs `dbclient` against `target` and `command`: the client key converted with
 * dropbearconvert, the host keys pinned in a private HOME's ~/.ssh/known_hosts (never `-y`:
 * an unknown key makes dbclient ask, and with no terminal it fails or hangs until the timeout).
 *
 * @example
 * ```ts
 * const r = await runDbclient(clientTargetOf(sshd), 'echo hi >&2; exit 2') // r.stderr 'hi\n', r.code 2
 * ```
 * @throws ClientRunError when dbclient times out or cannot start.
 */
export function runDbclient(target: ClientTarget, command: string, options: DbclientOptions = {}): Promise<ClientProcessResult> {
  return withClientHome('dbclient', async (home) => {
    const args = [...(await prepareHome(target, home)), `${target.user}@${target.host}`, command]
    return runClientProcess(DBCLIENT, args, { ...options, env: clientEnv({ HOME: home }) })
  })
}

/** Configures {@link startDbclientForward}. */
export interface DbclientForwardOptions {
  /** Where the server connects each forwarded connection to (default 127.0.0.1). */
  remoteHost?: string
  /** Give up when the local port does not listen within this many milliseconds (default 15 000). */
  readyTimeoutMs?: number
}

/** Controls a running `dbclient -N -L`. */
export interface DbclientForwardHandle {
  /** The local port dbclient listens on (127.0.0.1). */
  readonly localPort: number
  /** What dbclient printed on stderr so far. */
  stderr(): string
  /** Stops dbclient and removes its HOME; idempotent. */
  close(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

/**
 * Starts `dbclient -N -T -L 127.0.0.1:<free port>:<remoteHost>:<remotePort>` against `target`
 * and resolves once that port listens (seen in /proc/net/tcp, without connecting to it).
 *
 * @throws Error with dbclient's stderr when it exits or the port does not listen in time.
 */
export async function startDbclientForward(
  target: ClientTarget,
  remotePort: number,
  options: DbclientForwardOptions = {},
): Promise<DbclientForwardHandle> {
  const { remoteHost = '127.0.0.1', readyTimeoutMs = 15_000 } = options
  const home = await makeTempDir('dbclient-fwd-home')
  try {
    const localPort = await freePort()
    const args = [
      ...(await prepareHome(target, home)),
      '-N', '-T', '-L', `127.0.0.1:${localPort}:${remoteHost}:${remotePort}`,
      `${target.user}@${target.host}`,
    ]
    const daemon = spawnClientDaemon(DBCLIENT, args, clientEnv({ HOME: home }))
    let closing: Promise<void> | undefined
    const close = (): Promise<void> => (closing ??= daemon.close().finally(() => removeTempDir(home)))
    try {
      await waitFor(async () => {
        if (daemon.hasExited()) throw new Error(`dbclient exited: ${daemon.stderr().trim()}`)
        return isListeningOnLoopback(localPort)
      }, { timeoutMs: readyTimeoutMs, description: `dbclient -L on port ${localPort}` })
    } catch (err) {
      await close()
      throw new Error(`dbclient forward did not start; stderr: ${daemon.stderr().trim() || '(empty)'}`, { cause: err })
    }
    return { localPort, stderr: () => daemon.stderr(), close, [Symbol.asyncDispose]: close }
  } catch (err) {
    await removeTempDir(home)
    throw err
  }
}

/** Writes the pinned known_hosts and the converted key into `home`; returns the common args. */
async function prepareHome(target: ClientTarget, home: string): Promise<string[]> {
  await mkdir(join(home, '.ssh'), { mode: 0o700 })
  // Dropbear 2022.83 looks hosts up by bare name, whatever the port (no `[host]:port` form).
  const lines = target.hostKeys.map((line) => `${target.host} ${line.trim().split(/\s+/).slice(0, 2).join(' ')}\n`)
  await writeFile(join(home, '.ssh', 'known_hosts'), lines.join(''))
  const key = join(home, 'key.dropbear')
  await runCommand(DROPBEARCONVERT, ['openssh', 'dropbear', target.privateKeyPath, key], { timeoutMs: 15_000 })
  return ['-i', key, '-p', String(target.port)]
}
