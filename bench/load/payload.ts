import { randomBytes } from 'node:crypto'
import type { Writable } from 'node:stream'

/** One MiB of random bytes, reused for every write (content is not compressible). */
export const CHUNK = randomBytes(1024 * 1024)

/** Writes `bytes` bytes of {@link CHUNK} to `out`, honouring backpressure; does not end it. */
export async function writeBytes(out: Writable, bytes: number): Promise<void> {
  let left = bytes
  while (left > 0) {
    const n = Math.min(left, CHUNK.length)
    left -= n
    if (!out.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) {
      await new Promise<void>((resolve, reject) => {
        const done = (err?: Error): void => {
          out.off('drain', done)
          out.off('close', closed)
          if (err) reject(err)
          else resolve()
        }
        const closed = (): void => done(new Error('stream closed while writing'))
        out.once('drain', done)
        out.once('close', closed)
      })
    }
  }
}
