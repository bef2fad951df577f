import type { Duplex } from 'node:stream'
import { writeBytes } from '../load/payload.js'
import type { LoadProcess } from './load.js'

/** Sends `bytes` through `sock` (a channel to the load process's sink) and ends it; resolves ms until the sink saw EOF. */
export async function sendToSink(sock: Duplex, load: LoadProcess, bytes: number, t0: number): Promise<number> {
  const sunk = load.nextSunk()
  sock.resume()
  await writeBytes(sock, bytes)
  sock.end()
  const got = await sunk
  if (got !== bytes) throw new Error(`sink got ${got} of ${bytes} bytes`)
  return performance.now() - t0
}

/** Asks the source behind `sock` for `bytes` and reads them to EOF; resolves ms since `t0`. */
export async function pullFromSource(sock: Duplex, bytes: number, t0: number): Promise<number> {
  sock.write(`${bytes}\n`)
  let got = 0
  for await (const chunk of sock) got += (chunk as Buffer).length
  if (got !== bytes) throw new Error(`received ${got} of ${bytes} bytes`)
  return performance.now() - t0
}
