/**
 * Clients on 127.0.0.1 for the forwarding tests: dial a forwarded port, see whether it refuses,
 * send-and-collect through it. Every dialled socket is destroyed by {@link destroyDialed}
 * (call it in afterAll) at the latest.
 */
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { connect, type Socket } from 'node:net'
import { collect } from '../../transport/test/helpers.js'

const dialed = new Set<Socket>()

/** Connects to 127.0.0.1:`port`; the socket is destroyed by {@link destroyDialed} at the latest. */
export async function dial(port: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port })
  dialed.add(socket)
  socket.once('close', () => dialed.delete(socket))
  socket.on('error', () => {})
  await once(socket, 'connect')
  return socket
}

/** Destroys every socket {@link dial} opened that is still open. */
export function destroyDialed(): void {
  for (const socket of dialed) socket.destroy()
}

/** Resolves with the error code a connection to 127.0.0.1:`port` fails with, or 'connected'. */
export function dialOutcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve('connected')
    })
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'))
  })
}

/** Sends `data`, half-closes, and resolves with everything received until the peer ends. */
export async function roundTrip(port: number, data: Buffer): Promise<Buffer> {
  const socket = await dial(port)
  const received = collect(socket)
  socket.end(data)
  return received
}

/** The SHA-256 of `data`, in hex. */
export const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex')
