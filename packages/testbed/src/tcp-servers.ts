import { createServer } from 'node:net'
import type { Server, Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { LOOPBACK, listenOnLoopback } from './ports.js'

/** Controls a raw TCP test server on 127.0.0.1. */
export interface TcpServerHandle {
  /** Always '127.0.0.1'. */
  readonly host: string
  readonly port: number
  /** How many connections are open right now. */
  readonly connections: number
  /** Destroys every connection and closes the listener (bounded); idempotent. */
  close(): Promise<void>
  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>
}

/**
 * Destroys `sockets` and closes `server`, waiting at most `timeoutMs` for it to finish.
 */
export async function closeNetServer(server: Server, sockets: Set<Socket>, timeoutMs = 5000): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  for (const socket of sockets) socket.destroy()
  // The bound's timer is cancelled once closed: no stray timer outlives close().
  const bound = new AbortController()
  await Promise.race([closed, sleep(timeoutMs, undefined, { signal: bound.signal }).catch(() => {})])
  bound.abort()
}

/** Starts a TCP server that hands each accepted socket to `onSocket`; tracks and closes them all. */
export async function startTcpServer(onSocket: (socket: Socket) => void): Promise<TcpServerHandle> {
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => {}) // a peer's reset is not the test bed's failure
    socket.on('close', () => sockets.delete(socket))
    onSocket(socket)
  })
  server.on('error', () => {})
  const port = await listenOnLoopback(server)
  let closing: Promise<void> | undefined
  const close = (): Promise<void> => (closing ??= closeNetServer(server, sockets))
  return {
    host: LOOPBACK,
    port,
    get connections() {
      return sockets.size
    },
    close,
    [Symbol.asyncDispose]: close,
  }
}

/** Starts a TCP server that writes back every byte it receives. */
export function startEchoServer(): Promise<TcpServerHandle> {
  return startTcpServer((socket) => socket.pipe(socket))
}

/** Starts a TCP server that accepts connections and never writes (a hung peer). */
export function startSilentServer(): Promise<TcpServerHandle> {
  return startTcpServer((socket) => socket.resume())
}

/** Starts a TCP server that writes `payload` to each connection, then stays open and silent. */
export function startGarbageServer(payload: string | Buffer): Promise<TcpServerHandle> {
  return startTcpServer((socket) => {
    socket.resume()
    socket.write(payload)
  })
}
