import { once } from 'node:events'
import { createConnection } from 'node:net'

/**
 * Sends `payload` through 127.0.0.1:`port` (a client's local forward to an echo server) and
 * resolves with every byte that came back, once as many came back as were sent.
 *
 * @throws Error when fewer bytes come back within `timeoutMs` (default 15 000), or the socket fails.
 */
export async function echoThrough(port: number, payload: Buffer, timeoutMs = 15_000): Promise<Buffer> {
  const socket = createConnection({ host: '127.0.0.1', port })
  const chunks: Buffer[] = []
  let length = 0
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`echo: ${length} of ${payload.length} bytes`)), timeoutMs)
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      length += chunk.length
      if (length >= payload.length) {
        clearTimeout(timer)
        resolve()
      }
    })
    socket.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
  })
  try {
    await once(socket, 'connect')
    socket.write(payload)
    await done
    return Buffer.concat(chunks)
  } finally {
    socket.destroy()
  }
}
