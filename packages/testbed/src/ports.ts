import { connect, createServer, type Server } from 'node:net'

/** Names the loopback address every test server listens on. */
export const LOOPBACK = '127.0.0.1'

/**
 * Finds a TCP port on 127.0.0.1 that was free a moment ago, by binding port 0 and closing.
 *
 * Another process may take the port before the caller binds it: callers that start a
 * server on it retry on EADDRINUSE (see {@link withFreePort}).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen({ host: LOOPBACK, port: 0, exclusive: true }, () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))))
    })
  })
}

/**
 * Returns a port on 127.0.0.1 with nothing listening on it (connecting is refused).
 *
 * Alias of {@link freePort}, named for what tests use it for.
 */
export function closedPort(): Promise<number> {
  return freePort()
}

/** Marks an error as "the port was taken", so {@link withFreePort} tries another port. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError'
}

/**
 * Calls `start(port)` with a free port (from `pick`, default {@link freePort}), trying a new
 * port when it throws {@link PortInUseError} (at most `attempts` times, default 5).
 *
 * @throws the last PortInUseError after `attempts` tries, or any other error at once.
 */
export async function withFreePort<T>(
  start: (port: number) => Promise<T>,
  attempts = 5,
  pick: () => Promise<number> = freePort,
): Promise<T> {
  let last: unknown
  for (let i = 0; i < attempts; i++) {
    try {
      return await start(await pick())
    } catch (err) {
      if (!(err instanceof PortInUseError)) throw err
      last = err
    }
  }
  throw last
}

/**
 * Tells whether 127.0.0.1:`port` accepts TCP and sends an SSH identification line
 * ('SSH-…') within `timeoutMs`; closes the connection at once either way.
 *
 * Waiting for the line, not just the accept, means the server's per-connection process
 * exists by the time this resolves, so a caller can wait for it to go away again.
 */
export function answersSsh(port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: LOOPBACK, port })
    let received = ''
    const finish = (ok: boolean): void => {
      clearTimeout(timer)
      socket.destroy()
      resolve(ok)
    }
    const timer = setTimeout(() => finish(false), timeoutMs)
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1')
      if (received.length >= 4) finish(received.startsWith('SSH-'))
    })
    socket.on('error', () => finish(false))
    socket.on('close', () => finish(false))
  })
}

/** Starts `server` listening on 127.0.0.1 and a free port; resolves with the port. */
export function listenOnLoopback(server: Server): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host: LOOPBACK, port: 0 }, () => {
      server.off('error', reject)
      const address = server.address()
      resolve(typeof address === 'object' && address ? address.port : 0)
    })
  })
}
