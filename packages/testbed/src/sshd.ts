import { chmod, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { authorizedKeysText, clientKeys } from './client-keys.js'
import { generateSshdHostKeys, writeKnownHostsFile } from './host-keys.js'
import { answersSshInNetns, portChoice } from './netns.js'
import { LOOPBACK, PortInUseError, answersSsh, withFreePort } from './ports.js'
import { ServerStartError, spawnServerProcess, waitUntilReady } from './server-process.js'
import { makeTempDir, removeTempDir } from './temp-dir.js'
import { renderSshdConfig } from './sshd-config.js'
import type { SshdAuth } from './sshd-config.js'
import { testUser } from './test-user.js'
import type { SshServerHandle } from './server-handle.js'
import { waitFor } from './wait.js'

/** Names OpenSSH's server by absolute path (sshd re-executes itself, so it must be absolute). */
export const SSHD = '/usr/sbin/sshd'

/** Configures {@link startSshd}. */
export interface SshdOptions {
  /** What the server asks for (default 'publickey'); see {@link SshdAuth}. */
  auth?: SshdAuth
  /** `AllowTcpForwarding`: true (default), false, or only 'local' / 'remote'. */
  allowTcpForwarding?: boolean | 'local' | 'remote'
  /** `MaxSessions`: channels per connection (sshd's default is 10). */
  maxSessions?: number
  /** `LogLevel` (default 'DEBUG1'). */
  logLevel?: 'INFO' | 'VERBOSE' | 'DEBUG1' | 'DEBUG2' | 'DEBUG3'
  /** More sshd_config lines; they override the defaults (see renderSshdConfig). */
  extraConfig?: readonly string[]
  /** Give up waiting for the server after this many milliseconds (default 10 000). */
  readyTimeoutMs?: number
  /**
   * Run sshd inside this network namespace (a name under /run/netns, e.g. from
   * `createNetns`), listening on ITS 127.0.0.1; the readiness probe runs inside it too.
   * Unreachable from the host's loopback (see `startSite` for a relay).
   */
  netns?: string
  /**
   * Listen on this port (one attempt; PortInUseError when taken). Default: a free ephemeral
   * port, or, with `netns`, a port outside the host's ephemeral range that the host's
   * loopback leaves free.
   */
  port?: number
}

/** Describes a running OpenSSH test server. */
export interface SshdHandle extends SshServerHandle {
  readonly kind: 'openssh'
  /** Path of its sshd_config. */
  readonly configPath: string
  /** The network namespace it runs in (`options.netns`); undefined: the host's. */
  readonly netns: string | undefined
}

/**
 * Starts OpenSSH's sshd on 127.0.0.1 and a free port, for the test account only.
 *
 * Runs `/usr/sbin/sshd -D -e -E <log> -f <config>` with fresh host keys, its own
 * authorized_keys (every authorized client key) and PAM. Resolves once the log says
 * "Server listening" and the port accepts TCP.
 *
 * @example
 * ```ts
 * await using sshd = await startSshd({ auth: 'password' })
 * // connect to sshd.host:sshd.port as sshd.user with sshd.password
 * ```
 * @throws ServerStartError (with the sshd log) when sshd does not come up within `readyTimeoutMs`.
 */
export async function startSshd(options: SshdOptions = {}): Promise<SshdHandle> {
  const [user, keys] = await Promise.all([testUser(), clientKeys()])
  const dir = await makeTempDir('sshd')
  try {
    // The user's sshd process reads authorized_keys from here: let it through, not list.
    await chmod(dir, 0o711)
    const authorizedKeysFile = join(dir, 'authorized_keys')
    await writeFile(authorizedKeysFile, authorizedKeysText(keys))
    await chmod(authorizedKeysFile, 0o644)
    const { paths, keys: hostKeys } = await generateSshdHostKeys(dir)
    const configPath = join(dir, 'sshd_config')
    const logPath = join(dir, 'sshd.log')
    const knownHostsFile = join(dir, 'known_hosts')
    const netns = options.netns
    const { attempts, pick } = portChoice(netns, options.port)
    return await withFreePort(async (port) => {
      await writeFile(configPath, renderSshdConfig({
        port,
        pidFile: join(dir, 'sshd.pid'),
        hostKeyPaths: paths,
        authorizedKeysFile,
        user: user.name,
        auth: options.auth ?? 'publickey',
        allowTcpForwarding: options.allowTcpForwarding ?? true,
        maxSessions: options.maxSessions,
        logLevel: options.logLevel ?? 'DEBUG1',
        extraConfig: options.extraConfig ?? [],
      }))
      await writeFile(logPath, '')
      const proc = spawnServerProcess(SSHD, ['-D', '-e', '-E', logPath, '-f', configPath], logPath, { netns })
      try {
        const listening = `Server listening on ${LOOPBACK} port ${port}`
        await waitUntilReady(proc, 'sshd', async () =>
          (await proc.log()).includes(listening) &&
          (await (netns === undefined ? answersSsh(port) : answersSshInNetns(netns, port))),
        options.readyTimeoutMs ?? 10_000)
      } catch (err) {
        await proc.close()
        if (err instanceof ServerStartError && /Address already in use/.test(err.log)) {
          throw new PortInUseError(`port ${port} taken`, { cause: err })
        }
        throw err
      }
      // The readiness probe's connection has its own sshd child: let it exit first, so
      // connectionPids() starts empty.
      await waitFor(() => proc.descendants().length === 0, { timeoutMs: 3000 }).catch(() => {})
      const knownHostsLines = await writeKnownHostsFile(knownHostsFile, LOOPBACK, port, hostKeys)
      let closing: Promise<void> | undefined
      const close = (): Promise<void> =>
        (closing ??= proc.close().finally(() => removeTempDir(dir)))
      const handle: SshdHandle = {
        kind: 'openssh',
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
        configPath,
        log: () => proc.log(),
        connectionPids: async () => proc.descendants(),
        close,
        netns,
        [Symbol.asyncDispose]: close,
      }
      return handle
    }, attempts, pick)
  } catch (err) {
    await removeTempDir(dir)
    throw err
  }
}
