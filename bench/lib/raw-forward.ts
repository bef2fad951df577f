import { createServer, type AddressInfo, type Server } from 'node:net'
import type { Client } from 'ssh2'
import { forwardOut } from './clients.js'

/** A local forward written by hand over raw ssh2 (`forwardOut` per accepted socket, piped both ways). */
export interface RawForward {
  readonly port: number
  close(): Promise<void>
}

/** Listens on 127.0.0.1 and forwards each connection through `client` to 127.0.0.1:`remotePort`. */
export function rawForwardLocal(client: Client, remotePort: number): Promise<RawForward> {
  const server: Server = createServer({ noDelay: true, allowHalfOpen: true }, (sock) => {
    sock.on('error', () => {})
    forwardOut(client, '127.0.0.1', remotePort).then((stream) => {
      stream.on('error', () => sock.destroy())
      sock.pipe(stream)
      stream.pipe(sock)
    }, () => sock.destroy())
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((done) => server.close(() => done())),
  })))
}
