/**
 * Whole-file operations: readFile/writeFile (memory) and fastGet/fastPut (local files), all built
 * on {@link pump} with our own handles, so an abort closes everything before the call rejects.
 */
import { open as openLocal, type FileHandle } from 'node:fs/promises'
import { closeQuietly, closeRemote, fstatRemote, openRemote, readRemote, writeRemote, type RemoteFile } from './handles.js'
import { DEFAULT_CHUNK_SIZE, DEFAULT_CONCURRENCY, positiveInt, pump, type PumpRead, type PumpWrite } from './pump.js'
import { transferError, type SftpOperation } from './sftp-errors.js'
import type { SftpSession } from './session.js'
import type { SftpOpenFlags, SftpPutOptions, SftpTransferOptions } from './types.js'

/** Reads a whole remote file into memory. */
export async function readWholeFile(session: SftpSession, path: string, signal?: AbortSignal): Promise<Buffer> {
  const file = await openRemote(session, path, 'r', { signal })
  try {
    const size = (await fstatRemote(file, signal)).size ?? 0
    let out = Buffer.alloc(size)
    let length = 0
    const write: PumpWrite = async (data, position) => {
      const end = position + data.length
      if (end > out.length) out = Buffer.concat([out, Buffer.alloc(Math.max(end, out.length * 2) - out.length)])
      data.copy(out, position)
      length = Math.max(length, end)
    }
    await pump(remoteReader(file), write, { size, concurrency: DEFAULT_CONCURRENCY, chunkSize: DEFAULT_CHUNK_SIZE, signal })
    await closeRemote(file)
    return out.subarray(0, length)
  } catch (err) {
    await closeQuietly(file)
    throw err
  }
}

/** Writes `data` to a remote file, opened with `flags`, in parallel chunks. */
export async function writeWholeFile(
  session: SftpSession,
  path: string,
  data: Uint8Array,
  o: { flags: SftpOpenFlags; mode?: number | undefined; signal?: AbortSignal | undefined },
): Promise<void> {
  const file = await openRemote(session, path, o.flags, { mode: o.mode, signal: o.signal })
  try {
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    const read: PumpRead = async (_buf, length, position) => bytes.subarray(position, position + length)
    const write: PumpWrite = (chunk, position) => writeRemote(file, chunk, position)
    const size = bytes.length
    // With O_APPEND the server ignores offsets, so chunks must arrive in order: one at a time.
    const concurrency = o.flags.startsWith('a') ? 1 : DEFAULT_CONCURRENCY
    await pump(read, write, { size, concurrency, chunkSize: DEFAULT_CHUNK_SIZE, signal: o.signal })
    await closeRemote(file)
  } catch (err) {
    await closeQuietly(file)
    throw err
  }
}

/** Downloads `remotePath` to `localPath` (created or truncated). */
export async function fastGet(session: SftpSession, remotePath: string, localPath: string, o: SftpTransferOptions = {}): Promise<void> {
  const op = { op: 'fastGet', path: remotePath, local: localPath }
  const settings = transferSettings(o)
  const remote = await openRemote(session, remotePath, 'r', { signal: o.signal })
  let local: FileHandle | undefined
  let remoteOpen = true
  try {
    const size = (await fstatRemote(remote, o.signal)).size ?? 0
    local = await localStep(() => openLocal(localPath, 'w'), op)
    o.signal?.throwIfAborted()
    const fh = local
    const write: PumpWrite = async (data, position) => {
      for (let done = 0; done < data.length; ) {
        done += (await fh.write(data, done, data.length - done, position + done)).bytesWritten
      }
    }
    await pump(remoteReader(remote), localErrors(write, op), { ...settings, size, onChunk: progress(o, size) })
    remoteOpen = false
    await closeRemote(remote)
    local = undefined
    await localStep(() => fh.close(), op)
  } catch (err) {
    if (remoteOpen) await closeQuietly(remote)
    await local?.close().catch(() => {})
    throw err
  }
}

/** Uploads `localPath` to `remotePath` (created or truncated). */
export async function fastPut(session: SftpSession, localPath: string, remotePath: string, o: SftpPutOptions = {}): Promise<void> {
  const op = { op: 'fastPut', path: remotePath, local: localPath }
  const settings = transferSettings(o)
  o.signal?.throwIfAborted()
  const local = await localStep(() => openLocal(localPath, 'r'), op)
  let remote: RemoteFile | undefined
  let localOpen = true
  try {
    const size = (await localStep(() => local.stat(), op)).size
    remote = await openRemote(session, remotePath, o.flags ?? 'w', { mode: o.mode, signal: o.signal })
    const file = remote
    const read: PumpRead = async (buf, length, position) =>
      buf.subarray(0, (await local.read(buf, 0, length, position)).bytesRead)
    await pump(localErrors(read, op), (data, position) => writeRemote(file, data, position), {
      ...settings,
      size,
      onChunk: progress(o, size),
    })
    const closing = remote
    remote = undefined
    await closeRemote(closing)
    localOpen = false
    await localStep(() => local.close(), op)
  } catch (err) {
    if (remote) await closeQuietly(remote)
    if (localOpen) await local.close().catch(() => {})
    throw err
  }
}

const remoteReader =
  (file: RemoteFile): PumpRead =>
  (buf, length, position) =>
    readRemote(file, buf, length, position)

const transferSettings = (o: SftpTransferOptions): { concurrency: number; chunkSize: number; signal?: AbortSignal | undefined } => {
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw new TypeError('onProgress must be a function')
  return {
    concurrency: positiveInt('concurrency', o.concurrency, DEFAULT_CONCURRENCY),
    chunkSize: positiveInt('chunkSize', o.chunkSize, DEFAULT_CHUNK_SIZE),
    signal: o.signal,
  }
}

const progress = (o: SftpTransferOptions, total: number) =>
  o.onProgress === undefined ? undefined : (transferred: number) => o.onProgress?.(transferred, total)

// Local fs errors inside a transfer become SFTPError (a transfer fails with one error type),
// with the fs error as cause; remote errors are already ours.
async function localStep<R>(fn: () => Promise<R>, op: SftpOperation): Promise<R> {
  try {
    return await fn()
  } catch (err) {
    throw transferError(err, op)
  }
}

function localErrors<A extends unknown[], R>(fn: (...args: A) => Promise<R>, op: SftpOperation) {
  return (...args: A): Promise<R> => localStep(() => fn(...args), op)
}
