/** Files and hashes for the transfer tests: the local file system is the oracle. */
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import * as fs from 'node:fs/promises'
import { pipeline } from 'node:stream/promises'

const MiB = 1024 * 1024

/** The SHA-256 of `data`, in hex. */
export const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex')

/** The SHA-256 of the file at `path`, in hex. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256')
  await pipeline(createReadStream(path), hash)
  return hash.digest('hex')
}

/**
 * Writes `size` random bytes to `path` (created with `mode`) in 1 MiB blocks, each numbered so a
 * repeated block cannot hash the same, and returns their SHA-256.
 */
export async function randomFile(path: string, size: number, mode = 0o644): Promise<string> {
  const hash = createHash('sha256')
  const handle = await fs.open(path, 'w', mode)
  try {
    const block = randomBytes(Math.min(size, MiB))
    for (let at = 0; at < size; at += block.length) {
      const chunk = block.subarray(0, Math.min(block.length, size - at))
      if (chunk.length >= 4) chunk.writeUInt32BE(at / MiB, 0)
      hash.update(chunk)
      await handle.write(chunk)
    }
  } finally {
    await handle.close()
  }
  return hash.digest('hex')
}
