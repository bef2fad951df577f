import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { clientKeys } from './client-keys.js'
import { addAuthorizedKeys } from './dropbear-authorized-keys.js'
import { generateDropbearHostKeys } from './dropbear-host-keys.js'
import { writeKnownHostsFile } from './host-keys.js'
import { LOOPBACK, PortInUseError, acceptsTcp, withFreePort } from './ports.js'
import { ServerStartError, spawnServerProcess, waitUntilReady } from './server-process.js'
import type { ServerProcess } from './server-process.js'
import type { SshServerHandle } from './server-handle.js'
import { makeTempDir, removeTempDir } from './temp-dir.js'
import { testUser } from './test-user.js'
import { waitFor } from './wait.js'
import { existsSync } from 'node:fs'

/** Absolute path of the Dropbear server. */
export const DROPBEAR = '/usr/sbin/dropbear'

/** Options of {@link startDropbear}. */
export interface DropbearOptions {
  /**
   * 'publickey' (default: `-s`, no password logins), 'password' (passwords too; Dropbear
   * cannot turn public keys off), or 'publickey,password' (`-t`: both required).
   */
  auth?: 'publickey' | 'password' | 'publickey,password'
  /** More command-line arguments, e.g. ['-I', '5'] (idle timeout) or ['-j', '-k']. */
  extraArgs?: readonly string[]
  /** Give up waiting for the server after this many milliseconds (default 10 000). */
  readyTimeoutMs?: number
}

/** A running Dropbear test server. */
export interface DropbearHandle extends SshServerHandle {
  readonly kind: 'dropbear'
}

/**
 * Starts Dropbear on 127.0.0.1 and a free port, with fresh host keys.
 *
 * Runs `/usr/sbin/dropbear -F -E -w -m -p 127.0.0.1:PORT -r <key>… -P <pidfile>`. Dropbear
 * 2022.83 has no option for an authorized_keys path: the authorized client keys are added
 * to the test user's ~/.ssh/authorized_keys for the server's lifetime. Dropbear lets only
 * 5 unauthenticated connections per IP in at once.
 *
 * @throws ServerStartError (with the log) when Dropbear does not come up within `readyTimeoutMs`.
 */
export async function startDropbear(options: DropbearOptions = {}): Promise<DropbearHandle> {
  const [user, keys] = await Promise.all([testUser(), clientKeys()])
  const dir = await makeTempDir('dropbear')
  let removeKeys: (() => Promise<void>) | undefined
  try {
    const { paths, keys: hostKeys } = await generateDropbearHostKeys(dir)
    removeKeys = await addAuthorizedKeys(user, keys.authorized.map((k) => k.publicLine))
    const logPath = join(dir, 'dropbear.log')
    const pidFile = join(dir, 'dropbear.pid')
    const knownHostsFile = join(dir, 'known_hosts')
    const auth = options.auth ?? 'publickey'
    const authArgs = auth === 'publickey' ? ['-s'] : auth === 'password' ? [] : ['-t']
    const proc = await withFreePort(async (port) => {
      await writeFile(logPath, '')
      const args = ['-F', '-E', '-w', '-m', '-p', `${LOOPBACK}:${port}`, ...paths.flatMap((p) => ['-r', p])]
      args.push('-P', pidFile, ...authArgs, ...(options.extraArgs ?? []))
      const started = spawnServerProcess(DROPBEAR, args, logPath)
      try {
        await waitUntilReady(started, 'dropbear', async () => existsSync(pidFile) && (await acceptsTcp(port)),
          options.readyTimeoutMs ?? 10_000)
      } catch (err) {
        await started.close()
        if (err instanceof ServerStartError && /Address already in use/.test(err.log)) {
          throw new PortInUseError(`port ${port} taken`, { cause: err })
        }
        throw err
      }
      return { started, port }
    })
    return await makeHandle(proc.started, proc.port, dir, knownHostsFile, logPath, hostKeys, removeKeys, user, keys)
  } catch (err) {
    await removeKeys?.()
    await removeTempDir(dir)
    throw err
  }
}

async function makeHandle(
  proc: ServerProcess,
  port: number,
  dir: string,
  knownHostsFile: string,
  logPath: string,
  hostKeys: DropbearHandle['hostKeys'],
  removeKeys: () => Promise<void>,
  user: { name: string; password: string },
  keys: DropbearHandle['clientKeys'],
): Promise<DropbearHandle> {
  // The readiness probe's connection has its own child: let it exit, so connectionPids()
  // starts empty.
  await waitFor(() => proc.descendants().length === 0, { timeoutMs: 3000 }).catch(() => {})
  const knownHostsLines = await writeKnownHostsFile(knownHostsFile, LOOPBACK, port, hostKeys)
  let closing: Promise<void> | undefined
  const close = (): Promise<void> =>
    (closing ??= proc.close().finally(async () => {
      await removeKeys()
      await removeTempDir(dir)
    }))
  return {
    kind: 'dropbear',
    host: LOOPBACK,
    port,
    user: user.name,
    password: user.password,
    pid: proc.pid,
    clientKeys: keys,
    hostKeys,
    knownHostsLines,
    knownHostsFile,
    dir,
    logPath,
    log: () => proc.log(),
    connectionPids: async () => proc.descendants(),
    close,
    [Symbol.asyncDispose]: close,
  }
}
