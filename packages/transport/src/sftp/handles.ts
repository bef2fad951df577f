/**
 * Promise helpers over SFTP file handles (open, read, write, fstat, fchmod, close), shared by
 * readFile/writeFile, the streams and the parallel transfers.
 */
import type { SftpSession } from './session.js'
import { toSftpStats, type SftpStats } from './stats.js'
import type { SftpOpenFlags } from './types.js'

/** An open remote file: its session, its path (for errors) and the server's opaque handle. */
export interface RemoteFile {
  readonly session: SftpSession
  readonly path: string
  readonly handle: Buffer
}

const OPEN_FLAGS: ReadonlySet<string> = new Set(['r', 'r+', 'w', 'wx', 'w+', 'wx+', 'a', 'ax', 'a+', 'ax+'])

/** Throws a TypeError unless `flags` is one of {@link SftpOpenFlags}. */
export function checkOpenFlags(flags: string): asserts flags is SftpOpenFlags {
  if (!OPEN_FLAGS.has(flags)) throw new TypeError(`unknown SFTP open flags: ${JSON.stringify(flags)}`)
}

/** Throws a TypeError unless `mode` is undefined or a permission-bits integer. */
export function checkMode(mode: unknown): asserts mode is number | undefined {
  if (mode !== undefined && !(Number.isInteger(mode) && (mode as number) >= 0 && (mode as number) <= 0o7777)) {
    throw new TypeError(`mode must be an integer between 0 and 0o7777, got ${String(mode)}`)
  }
}

/**
 * Opens `path`. When the signal aborts while the server is still answering, the call rejects at
 * once and the handle that arrives later is closed, so nothing stays open on the server.
 */
export async function openRemote(
  session: SftpSession,
  path: string,
  flags: SftpOpenFlags,
  options: { mode?: number | undefined; signal?: AbortSignal | undefined } = {},
): Promise<RemoteFile> {
  const { wrapper } = session
  const handle = await session.run<Buffer>(
    { op: 'open', path, signal: options.signal, release: (h) => wrapper.close(h, () => {}) },
    (cb) => wrapper.open(path, flags, cb),
  )
  const file: RemoteFile = { session, path, handle }
  if (options.mode !== undefined) {
    const mode = options.mode
    try {
      // fchmod after open (as ssh2's fastPut does) so the server's umask does not apply.
      await session.run<void>({ op: 'chmod', path, signal: options.signal }, (cb) => wrapper.fchmod(handle, mode, cb))
    } catch (err) {
      await closeQuietly(file)
      throw err
    }
  }
  return file
}

/** Closes the handle; a failure to close (the server reports write errors here) rejects. */
export function closeRemote(file: RemoteFile): Promise<void> {
  const { session, handle, path } = file
  return session.run<void>({ op: 'close', path }, (cb) => session.wrapper.close(handle, cb))
}

/** Closes the handle on a failure path: errors are dropped, and a closed channel needs nothing. */
export async function closeQuietly(file: RemoteFile): Promise<void> {
  if (!file.session.isOpen) return
  await closeRemote(file).catch(() => {})
}

/** Reads up to `length` bytes at `position` into `buf`; returns the bytes read (empty at EOF). */
export function readRemote(file: RemoteFile, buf: Buffer, length: number, position: number): Promise<Buffer> {
  const { session, handle, path } = file
  return session.run<Buffer>({ op: 'read', path }, (cb) =>
    // ssh2 turns the EOF status into bytesRead 0 and splits reads above the server's limit.
    session.wrapper.read(handle, buf, 0, length, position, (err, bytesRead) =>
      err ? cb(err) : cb(undefined, buf.subarray(0, bytesRead)),
    ),
  )
}

/** Writes all of `data` at `position`. */
export function writeRemote(file: RemoteFile, data: Uint8Array, position: number): Promise<void> {
  const { session, handle, path } = file
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  return session.run<void>({ op: 'write', path }, (cb) =>
    session.wrapper.write(handle, buf, 0, buf.length, position, (err) => cb(err)),
  )
}

/** Returns the attributes of the open file, falling back to `stat` for servers without fstat. */
export async function fstatRemote(file: RemoteFile, signal?: AbortSignal): Promise<SftpStats> {
  const { session, handle, path } = file
  try {
    return toSftpStats(await session.run<unknown>({ op: 'fstat', path, signal }, (cb) => session.wrapper.fstat(handle, cb)))
  } catch (err) {
    if (!session.isOpen || signal?.aborted) throw err
    return toSftpStats(await session.run<unknown>({ op: 'stat', path, signal }, (cb) => session.wrapper.stat(path, cb)))
  }
}
