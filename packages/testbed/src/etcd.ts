// A real etcd v3 server for the router's tests (Debian's etcd-server), on loopback ports of its
// own with a temporary data dir; stop, SIGKILL and restart on the same ports and data, for
// "etcd gone mid-run, then back".
import { request } from 'node:http'
import { join } from 'node:path'
import { LOOPBACK, PortInUseError, freePort, withFreePort } from './ports.js'
import { ServerStartError, spawnServerProcess, waitUntilReady } from './server-process.js'
import type { ServerProcess } from './server-process.js'
import { makeTempDir, removeTempDir } from './temp-dir.js'

/** Where Debian's etcd-server puts the server. */
export const ETCD = '/usr/bin/etcd'

/** Configures {@link startEtcd}. */
export interface EtcdOptions {
  /** Give up waiting for the server after this many milliseconds (default 15 000). */
  readyTimeoutMs?: number
}

/** A running etcd and how to reach it. */
export interface EtcdHandle {
  /** `http://127.0.0.1:PORT`, the client URL. */
  readonly endpoint: string
  readonly port: number
  /** The server's temp dir (data dir, log); removed by `close()`. */
  readonly dir: string
  /** PID of the running server (changes with `restart()`). */
  readonly pid: () => number | undefined
  /** Reads the server's log so far. */
  log(): Promise<string>
  /** Stops the server (SIGTERM, then SIGKILL), keeping its data: `restart()` brings it back. */
  stop(): Promise<void>
  /** SIGKILLs the server at once, keeping its data. */
  kill(): Promise<void>
  /** Starts the server again on the same ports and data dir; resolves once it serves. */
  restart(): Promise<void>
  /** Stops the server and removes its temp dir; idempotent. */
  close(): Promise<void>
  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>
}

/** Whether etcd at `port` answers its health check within 1 s. */
function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: LOOPBACK, port, path: '/health', timeout: 1_000 }, (res) => {
      let body = ''
      res.on('data', (d: Buffer) => (body += d.toString()))
      res.on('end', () => resolve(res.statusCode === 200 && /"health":\s*"true"/.test(body)))
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(false))
    req.end()
  })
}

/**
 * Starts etcd on 127.0.0.1 with a free client port and a free peer port, one member, data in a
 * temp dir. Resolves once `/health` says true.
 *
 * @example
 * ```ts
 * await using etcd = await startEtcd()
 * // new Etcd3({ hosts: etcd.endpoint })
 * ```
 * @throws ServerStartError (with the etcd log) when it is not ready within `readyTimeoutMs`.
 */
export async function startEtcd(options: EtcdOptions = {}): Promise<EtcdHandle> {
  const dir = await makeTempDir('etcd')
  const logPath = join(dir, 'etcd.log')
  const readyMs = options.readyTimeoutMs ?? 15_000
  try {
    return await withFreePort(async (port) => {
      const peer = await freePort()
      const client = `http://${LOOPBACK}:${port}`
      const peerUrl = `http://${LOOPBACK}:${peer}`
      const args = [
        '--name', 'x', '--data-dir', join(dir, 'data'),
        '--listen-client-urls', client, '--advertise-client-urls', client,
        '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl,
        '--initial-cluster', `x=${peerUrl}`, '--initial-cluster-state', 'new',
        '--log-level', 'warn',
      ]
      let proc: ServerProcess | undefined
      const start = async (): Promise<void> => {
        const p = spawnServerProcess(ETCD, args, logPath, { cwd: dir })
        proc = p
        try {
          await waitUntilReady(p, 'etcd', () => healthy(port), readyMs)
        } catch (err) {
          await p.close()
          if (err instanceof ServerStartError && /address already in use/i.test(err.log)) throw new PortInUseError(`port ${port} or ${peer} taken`, { cause: err })
          throw err
        }
      }
      await start()
      const stop = async (): Promise<void> => {
        await proc?.close()
      }
      const kill = async (): Promise<void> => {
        const p = proc
        if (!p || p.hasExited()) return
        p.child.kill('SIGKILL')
        await p.exited
      }
      let closing: Promise<void> | undefined
      const close = (): Promise<void> => (closing ??= stop().finally(() => removeTempDir(dir)))
      return {
        endpoint: client,
        port,
        dir,
        pid: () => (proc && !proc.hasExited() ? proc.pid : undefined),
        log: () => proc!.log(),
        stop,
        kill,
        restart: async () => {
          if (closing) throw new Error('etcd was closed')
          await stop()
          await start()
        },
        close,
        [Symbol.asyncDispose]: close,
      }
    })
  } catch (err) {
    await removeTempDir(dir)
    throw err
  }
}
