import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { NSENTER, SOCAT, netnsPath } from './netns.js'
import { LOOPBACK, PortInUseError, withFreePort } from './ports.js'
import { ServerStartError, spawnServerProcess, waitUntilReady } from './server-process.js'
import { makeTempDir, removeTempDir } from './temp-dir.js'

/** Configures {@link startNetnsRelay}. */
export interface NetnsRelayOptions {
  /** The network namespace to relay into (a name under /run/netns). */
  netns: string
  /** The port on the namespace's 127.0.0.1 that each connection is relayed to. */
  targetPort: number
  /** Listen on this host port (one attempt; default: a free ephemeral port, retried). */
  port?: number
  /** Give up waiting for the relay to listen after this many milliseconds (default 10 000). */
  readyTimeoutMs?: number
}

/** Controls a relay from the host's loopback into a network namespace. */
export interface NetnsRelayHandle {
  /** Always '127.0.0.1' (the HOST's loopback). */
  readonly host: string
  /** The port it listens on, on the host. */
  readonly port: number
  readonly netns: string
  /** The port it connects to on the namespace's 127.0.0.1. */
  readonly targetPort: number
  /** PID of the listening socat. */
  readonly pid: number
  /** Its private temp dir (the log); removed by `close()`. */
  readonly dir: string
  /** Lists the PIDs of the per-connection processes (one socat per open connection). */
  connectionPids(): number[]
  /** Reads socat's log (`-d -d`: one line per accepted connection, errors). */
  log(): Promise<string>
  /** Stops the listener and every relayed connection, removes its temp dir; idempotent, bounded. */
  close(): Promise<void>
  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>
}

/**
 * Starts a TCP relay from 127.0.0.1:<port> on the HOST into 127.0.0.1:`targetPort` inside the
 * network namespace `netns`:
 *
 *   socat TCP-LISTEN:<port>,bind=127.0.0.1,reuseaddr,fork
 *         EXEC:'nsenter --net=/run/netns/<netns> socat STDIO TCP:127.0.0.1:<targetPort>',nofork
 *
 * Per accepted connection socat forks and (nofork) execs the inner socat with the accepted
 * socket as its stdin/stdout: ONE process per connection, entered into the namespace, that
 * connects from inside it. A connection the target refuses is closed at once. Resolves once
 * socat listens (its log says so); it does not connect to the target until a client does.
 *
 * @throws ServerStartError (with socat's log) when it does not listen within `readyTimeoutMs`.
 */
export async function startNetnsRelay(options: NetnsRelayOptions): Promise<NetnsRelayHandle> {
  const { netns, targetPort } = options
  const dir = await makeTempDir('relay')
  try {
    const logPath = join(dir, 'socat.log')
    const given = options.port
    return await withFreePort(async (port) => {
      await writeFile(logPath, '')
      const inner = `${NSENTER} --net=${netnsPath(netns)} ${SOCAT} STDIO TCP:${LOOPBACK}:${targetPort}`
      const proc = spawnServerProcess(SOCAT, [
        '-d', '-d',
        `TCP-LISTEN:${port},bind=${LOOPBACK},reuseaddr,fork,backlog=256`,
        `EXEC:'${inner}',nofork`,
      ], logPath)
      try {
        await waitUntilReady(proc, 'socat relay', async () =>
          (await proc.log()).includes(`listening on AF=2 ${LOOPBACK}:${port}`), options.readyTimeoutMs ?? 10_000)
      } catch (err) {
        await proc.close()
        if (err instanceof ServerStartError && /Address already in use/.test(err.log)) {
          throw new PortInUseError(`port ${port} taken`, { cause: err })
        }
        throw err
      }
      let closing: Promise<void> | undefined
      const close = (): Promise<void> => (closing ??= proc.close().finally(() => removeTempDir(dir)))
      const handle: NetnsRelayHandle = {
        host: LOOPBACK,
        port,
        netns,
        targetPort,
        pid: proc.pid,
        dir,
        connectionPids: () => proc.descendants(),
        log: () => proc.log(),
        close,
        [Symbol.asyncDispose]: close,
      }
      return handle
    }, given === undefined ? 5 : 1, given === undefined ? undefined : async () => given)
  } catch (err) {
    await removeTempDir(dir)
    throw err
  }
}
