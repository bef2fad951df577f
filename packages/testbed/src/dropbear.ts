import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { clientKeys } from './client-keys.js'
import { addAuthorizedKeys } from './dropbear-authorized-keys.js'
import { generateDropbearHostKeys } from './dropbear-host-keys.js'
import { writeKnownHostsFile } from './host-keys.js'
import { answersSshInNetns, portChoice } from './netns.js'
import { LOOPBACK, PortInUseError, answersSsh, withFreePort } from './ports.js'
import { ServerStartError, spawnServerProcess, waitUntilReady } from './server-process.js'
import type { ServerProcess } from './server-process.js'
import type { SshServerHandle } from './server-handle.js'
import { makeTempDir, removeTempDir } from './temp-dir.js'
import { testUser } from './test-user.js'
import { waitFor } from './wait.js'

/** Names the Dropbear server binary by absolute path. */
export const DROPBEAR = '/usr/sbin/dropbear'

/** Configures {@link startDropbear}. */
export interface DropbearOptions {
  /**
   * 'publickey' (default: `-s`, no password logins), 'password' (passwords too; Dropbear
   * cannot turn public keys off), or 'publickey,password' (`-t`: both required).
   */
  auth?: 'publickey' | 'password' | 'publickey,password'
  /**
   * Let root log in too (no `-w`), with the same client keys added to /root/.ssh/authorized_keys
   * for the server's lifetime (tagged and removed like the test user's). Default false.
   */
  rootLogin?: boolean
  /** More command-line arguments, e.g. ['-I', '5'] (idle timeout) or ['-j', '-k']. */
  extraArgs?: readonly string[]
  /** Give up waiting for the server after this many milliseconds (default 10 000). */
  readyTimeoutMs?: number
  /**
   * Run Dropbear inside this network namespace (a name under /run/netns), listening on ITS
   * 127.0.0.1; the readiness probe runs inside it too.
   */
  netns?: string
  /**
   * Listen on this port (one attempt; PortInUseError when taken). Default: a free ephemeral
   * port, or, with `netns`, a port outside the host's ephemeral range that the host's
   * loopback leaves free.
   */
  port?: number
}

/** Describes a running Dropbear test server. */
export interface DropbearHandle extends SshServerHandle {
  readonly kind: 'dropbear'
  /** The network namespace it runs in (`options.netns`); undefined: the host's. */
  readonly netns: string | undefined
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
    const lines = keys.authorized.map((k) => k.publicLine)
    const removeUserKeys = await addAuthorizedKeys(user, lines)
    removeKeys = removeUserKeys
    if (options.rootLogin === true) {
      await mkdir('/root/.ssh', { recursive: true, mode: 0o700 })
      const removeRootKeys = await addAuthorizedKeys({ name: 'root', password: '', uid: 0, gid: 0, home: '/root' }, lines)
      removeKeys = () => Promise.all([removeUserKeys(), removeRootKeys()]).then(() => {})
    }
    const logPath = join(dir, 'dropbear.log')
    const knownHostsFile = join(dir, 'known_hosts')
    const { attempts, pick } = portChoice(options.netns, options.port)
    const { proc, port } = await withFreePort((port) => launch(port, dir, paths, options), attempts, pick)
    // The readiness probe's connection has its own child: let it exit, so connectionPids()
    // starts empty.
    await waitFor(() => proc.descendants().length === 0, { timeoutMs: 3000 }).catch(() => {})
    const knownHostsLines = await writeKnownHostsFile(knownHostsFile, LOOPBACK, port, hostKeys)
    const removeOurKeys = removeKeys
    let closing: Promise<void> | undefined
    const close = (): Promise<void> =>
      (closing ??= proc.close().finally(async () => {
        await removeOurKeys()
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
      netns: options.netns,
      [Symbol.asyncDispose]: close,
    }
  } catch (err) {
    await removeKeys?.()
    await removeTempDir(dir)
    throw err
  }
}

/** Runs Dropbear on `port` and waits for its pid file and a TCP accept. */
async function launch(
  port: number,
  dir: string,
  hostKeyPaths: readonly string[],
  options: DropbearOptions,
): Promise<{ proc: ServerProcess; port: number }> {
  const logPath = join(dir, 'dropbear.log')
  const pidFile = join(dir, 'dropbear.pid')
  const auth = options.auth ?? 'publickey'
  const args = ['-F', '-E', ...(options.rootLogin === true ? [] : ['-w']), '-m', '-p', `${LOOPBACK}:${port}`, '-P', pidFile]
  args.push(...hostKeyPaths.flatMap((p) => ['-r', p]))
  if (auth === 'publickey') args.push('-s')
  if (auth === 'publickey,password') args.push('-t')
  args.push(...(options.extraArgs ?? []))
  await writeFile(logPath, '')
  const netns = options.netns
  const proc = spawnServerProcess(DROPBEAR, args, logPath, { netns })
  try {
    const answers = (): Promise<boolean> => (netns === undefined ? answersSsh(port) : answersSshInNetns(netns, port))
    const ready = async (): Promise<boolean> => existsSync(pidFile) && (await answers())
    await waitUntilReady(proc, 'dropbear', ready, options.readyTimeoutMs ?? 10_000)
    return { proc, port }
  } catch (err) {
    await proc.close()
    if (err instanceof ServerStartError && /Address already in use/.test(err.log)) {
      throw new PortInUseError(`port ${port} taken`, { cause: err })
    }
    throw err
  }
}
