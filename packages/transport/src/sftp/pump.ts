/**
 * Moves bytes from a positional source to a positional sink with several requests in flight
 * (what makes SFTP fast over a long round trip, as OpenSSH's `sftp -R` and the underlying
 * library's fastGet do).
 */

/** Reads up to `length` bytes at `position` into `buf`; returns the bytes read, empty at EOF. */
export type PumpRead = (buf: Buffer, length: number, position: number) => Promise<Buffer>
/** Writes all of `data` at `position`; `data` may be reused by the caller once this resolves. */
export type PumpWrite = (data: Buffer, position: number) => Promise<void>

/** How the pump runs. */
export interface PumpOptions {
  /** Size of the source when it was opened; the pump reads on past it until EOF. */
  readonly size: number
  /** Requests in flight at once. */
  readonly concurrency: number
  /** Bytes per request. */
  readonly chunkSize: number
  /** Stops the copy; the pump then rejects with `signal.reason`. */
  readonly signal?: AbortSignal | undefined
  /** Called after each write with the bytes written so far. */
  readonly onChunk?: ((transferred: number) => void) | undefined
}

/** Default requests in flight (OpenSSH's `sftp -R` uses 64). */
export const DEFAULT_CONCURRENCY = 64
/** Default bytes per request (OpenSSH's `sftp -B` default). */
export const DEFAULT_CHUNK_SIZE = 32 * 1024

/** Throws a RangeError unless `value` is undefined or a positive safe integer. */
export function positiveInt(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || (value as number) <= 0) {
    throw new RangeError(`${name} must be a positive integer, got ${String(value)}`)
  }
  return value as number
}

/**
 * Copies the source to the sink and resolves with the number of bytes moved. It first reads the
 * known `size` in parallel chunks, then reads sequentially until EOF (the file may have grown).
 * On abort or error it stops issuing requests, waits for the ones in flight (so nothing is left
 * half-done behind the caller's back) and rejects with `signal.reason` or the first error.
 */
export async function pump(read: PumpRead, write: PumpWrite, o: PumpOptions): Promise<number> {
  let next = 0
  let transferred = 0
  let eofAt = Number.POSITIVE_INFINITY
  let failure: { error: unknown } | undefined
  const stopped = (): boolean => failure !== undefined || o.signal?.aborted === true

  // Reads [position, position + length) fully (short reads are retried), writes it, and returns
  // how many bytes were there before EOF.
  const copy = async (buf: Buffer, position: number, length: number): Promise<number> => {
    let done = 0
    let chunk = buf.subarray(0, 0)
    while (done < length && !stopped()) {
      const target = buf.subarray(done)
      const data = await read(target, length - done, position + done)
      if (data.length === 0) {
        eofAt = Math.min(eofAt, position + done)
        break
      }
      if (done === 0 && data.length === length) {
        chunk = data // the whole chunk in one read: write it from wherever the source put it
      } else {
        // A source may hand back its own memory rather than fill `target`.
        if (data.buffer !== target.buffer || data.byteOffset !== target.byteOffset) data.copy(target)
        chunk = buf.subarray(0, done + data.length)
      }
      done += data.length
    }
    if (done > 0 && !stopped()) {
      await write(chunk, position)
      transferred += done
      o.onChunk?.(transferred)
    }
    return done
  }

  const worker = async (): Promise<void> => {
    const buf = Buffer.allocUnsafe(o.chunkSize)
    try {
      while (!stopped()) {
        const position = next
        if (position >= o.size || position >= eofAt) return
        const length = Math.min(o.chunkSize, o.size - position)
        next += length
        await copy(buf, position, length)
      }
    } catch (error) {
      failure ??= { error }
    }
  }

  const workers = Math.max(1, Math.min(o.concurrency, Math.ceil(o.size / o.chunkSize)))
  await Promise.all(Array.from({ length: workers }, worker))

  // The tail: whatever lies past the size seen at open, one request at a time.
  if (eofAt === Number.POSITIVE_INFINITY && !stopped()) {
    const buf = Buffer.allocUnsafe(o.chunkSize)
    let position = o.size
    try {
      while (!stopped()) {
        const got = await copy(buf, position, o.chunkSize)
        if (got < o.chunkSize) break // copy() retries short reads, so fewer bytes means EOF
        position += got
      }
    } catch (error) {
      failure ??= { error }
    }
  }

  if (o.signal?.aborted) throw o.signal.reason
  if (failure !== undefined) throw failure.error
  return transferred
}
