import { createServer, type AddressInfo } from 'node:net'

/** Returns a loopback port that was free a moment ago (for `ssh -L`, which needs a number). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })
}
