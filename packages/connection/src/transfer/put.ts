/**
 * Uploads: Fabric's `Connection.put` over an {@link SftpClient}.
 */
import { stat } from 'node:fs/promises'
import { basename, posix, resolve } from 'node:path'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { SFTPError, type SftpClient } from '@x/transport'
import { checkPath, checkTransferOptions } from './check.js'
import { localError } from './local-error.js'
import { ProgressCounter } from './progress.js'
import { expandRemoteHome } from './remote-path.js'
import { remoteTarget } from './remote-target.js'
import { RemoteTempFile } from './remote-temp-file.js'
import type { PutOptions, PutSource, TransferResult } from './types.js'

/** Bytes per write when a Buffer is streamed (OpenSSH's `sftp -B` default). */
const SLICE = 32 * 1024

/**
 * Uploads a local file, a readable stream or a Buffer to `remotePath`; Fabric's
 * `Connection.put(local, remote, preserve_mode)`, paramiko's `SFTPClient.put`/`putfo`.
 *
 * A `remotePath` that ends with '/' or names an existing remote directory gets the local file's
 * base name (a file stream's `path` counts as its name); a leading `~/` is the remote home (the
 * directory the SFTP session starts in); `mkdirs: true` creates missing parent directories. A
 * path source is sent with parallel writes (64 × 32 KiB in flight, as `sftp -R 64`) and, with
 * `preserveMode` (default true), the remote file gets the local file's permission bits; `mode`
 * sets them explicitly; otherwise a replaced file keeps its mode and a new one gets the server's
 * default. A stream or Buffer is written in order with up to 16 writes in flight; a stream
 * source is read to its end, and destroyed when the upload fails.
 *
 * The upload is atomic, as `get` is: it goes into a hidden temporary file in the target's
 * directory (`.name.<random>.part`, created exclusively, mode 0600 while it fills), which is then
 * given its mode and renamed over the target with `posix-rename@openssh.com` (OpenSSH and
 * Dropbear, which runs OpenSSH's sftp-server). On any failure — a server error, an abort, a
 * lost connection — the temporary file is removed before the call rejects (when it cannot be,
 * because the connection is gone, the error says it was left and names it), and an existing
 * target is left untouched. A server without that extension gets a plain rename, and when that
 * fails on an existing target, the target is removed and the rename repeated: for that moment
 * the name is missing. As with `mv`, the new file has the uploader as owner, and a symlink at the
 * target is replaced by the file. `atomic: false` writes into the target in place instead (for
 * a directory where only the target is writable): then a failed upload may leave part of the
 * file, as OpenSSH's `sftp put` does.
 *
 * @example
 * ```ts
 * const sftp = await transport.openSftpClient()
 * const { remotePath, bytes } = await put(sftp, 'app.tar.gz', '~/releases/', {
 *   mkdirs: true, // creates ~/releases first when it is missing
 *   onProgress: (n, total) => console.log(`${n}/${total}`),
 * })
 * ```
 * @throws SFTPError from the server, with `path` (the target, also for a failure on the
 *   temporary file) and `status` (2: the remote directory is missing, 3: permission denied,
 *   4: failure such as writing onto a directory).
 * @throws SFTPError without `status` when the local file cannot be read; `cause` is the fs error
 *   (`cause.code` 'ENOENT', 'EACCES', 'EISDIR', …).
 * @throws ConnectionLostError when the SFTP channel or the connection goes away.
 * @throws TypeError / RangeError for invalid arguments, or a Buffer/stream aimed at a directory.
 * @throws `signal.reason` when aborted (the temporary file is removed first).
 */
export async function put(sftp: SftpClient, source: PutSource, remotePath: string, options: PutOptions = {}): Promise<TransferResult> {
  checkPath('remotePath', remotePath)
  checkTransferOptions(options)
  if (options.atomic !== undefined && typeof options.atomic !== 'boolean') throw new TypeError('atomic must be a boolean')
  if (options.mkdirs !== undefined && typeof options.mkdirs !== 'boolean') throw new TypeError('mkdirs must be a boolean')
  options.signal?.throwIfAborted()
  if (typeof source === 'string') checkPath('source', source)
  else if (!(source instanceof Uint8Array) && !isReadable(source)) throw new TypeError('source must be a local path, a readable stream or a Uint8Array')
  const remote = await expandRemoteHome(sftp, remotePath, options.signal)
  if (typeof source === 'string') return putFile(sftp, source, remote, options)
  if (source instanceof Uint8Array) {
    const target = await targetOf(sftp, remote, undefined, options)
    const bytes = Buffer.from(source.buffer, source.byteOffset, source.byteLength)
    return putStream(sftp, Readable.from(slices(bytes)), target, bytes.length, options)
  }
  const path: unknown = (source as { path?: unknown }).path
  const name = typeof path === 'string' ? basename(path) : undefined
  return putStream(sftp, source, await targetOf(sftp, remote, name, options), undefined, options)
}

/** The remote file to write (see {@link remoteTarget}), its parents created first with `mkdirs`. */
async function targetOf(sftp: SftpClient, remotePath: string, name: string | undefined, o: PutOptions): Promise<string> {
  const target = await remoteTarget(sftp, remotePath, name, o.signal)
  if (o.mkdirs === true) await sftp.mkdir(posix.dirname(target), { recursive: true, signal: o.signal })
  return target
}

async function putFile(sftp: SftpClient, source: string, remotePath: string, o: PutOptions): Promise<TransferResult> {
  checkPath('source', source)
  const localPath = resolve(source)
  let info
  try {
    info = await stat(localPath)
    if (info.isDirectory()) throw Object.assign(new Error('is a directory (put sends one file)'), { code: 'EISDIR' })
  } catch (err) {
    throw localError(err, 'put', remotePath, localPath)
  }
  const target = await targetOf(sftp, remotePath, basename(localPath), o)
  const mode = o.mode ?? (o.preserveMode === false ? undefined : info.mode & 0o7777)
  const progress = new ProgressCounter(o.onProgress, info.size)
  await writeRemote(sftp, target, mode, o, (path, flags, createMode) =>
    sftp.fastPut(localPath, path, { flags, mode: createMode, signal: o.signal, onProgress: (bytes) => progress.set(bytes) }))
  progress.finish()
  return { localPath, remotePath: target, bytes: progress.bytes }
}

async function putStream(
  sftp: SftpClient,
  source: NodeJS.ReadableStream,
  target: string,
  total: number | undefined,
  o: PutOptions,
): Promise<TransferResult> {
  const progress = new ProgressCounter(o.onProgress, total)
  const count = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      try {
        progress.add(chunk.length)
        callback(null, chunk)
      } catch (err) {
        callback(err as Error)
      }
    },
  })
  await writeRemote(sftp, target, o.mode, o, async (path, flags, createMode) => {
    // The write stream's own signal destroys it with `signal.reason`, which pipeline passes on.
    const remote = sftp.createWriteStream(path, { flags, mode: createMode, signal: o.signal })
    try {
      await pipeline(source, count, remote)
    } catch (err) {
      if (o.signal?.aborted) throw o.signal.reason
      throw err
    }
  })
  progress.finish()
  return { remotePath: target, bytes: progress.bytes }
}

/** Writes the remote file at `path`, opened with `flags`, giving a file it creates `createMode`. */
type WriteFile = (path: string, flags: 'w' | 'wx', createMode: number | undefined) => Promise<void>

/**
 * Writes `target` with `write`: in place with `atomic: false`, else into a temporary file that is
 * renamed over it (see {@link RemoteTempFile}). `mode` is the mode asked for (explicit or
 * preserved); without one, a replaced file keeps its mode, as writing into it would, and a new
 * file gets the server's default for a created file. A source stream is destroyed on failure.
 */
async function writeRemote(sftp: SftpClient, target: string, mode: number | undefined, o: PutOptions, write: WriteFile): Promise<void> {
  if (o.atomic === false) return write(target, 'w', mode)
  const finalMode = mode ?? (await existingMode(sftp, target, o.signal))
  const temp = new RemoteTempFile(sftp, target)
  try {
    // 0600 while it fills (the final mode might let others read a half-written file); the final
    // mode is set just before the rename. No mode known: the server's default, as before.
    await write(temp.path, 'wx', finalMode === undefined ? undefined : 0o600)
    o.signal?.throwIfAborted()
    await temp.commit(finalMode)
  } catch (err) {
    const failure = await temp.discard(err)
    throw o.signal?.aborted ? o.signal.reason : failure
  }
}

/** The permission bits of the regular file at `path`, or undefined when there is none. */
async function existingMode(sftp: SftpClient, path: string, signal: AbortSignal | undefined): Promise<number | undefined> {
  try {
    const info = await sftp.stat(path, { signal })
    return info.isFile() && info.mode !== undefined ? info.mode & 0o7777 : undefined
  } catch (err) {
    if (err instanceof SFTPError && err.status !== undefined) return undefined
    throw err
  }
}

function* slices(bytes: Buffer): Generator<Buffer> {
  for (let at = 0; at < bytes.length; at += SLICE) yield bytes.subarray(at, at + SLICE)
}

function isReadable(value: unknown): value is NodeJS.ReadableStream {
  return typeof value === 'object' && value !== null && (typeof (value as NodeJS.ReadableStream).pipe === 'function' || Symbol.asyncIterator in value)
}
