/**
 * Downloads: Fabric's `Connection.get` over an {@link SftpClient}, atomic for local paths.
 */
import { posix } from 'node:path'
import type { Readable } from 'node:stream'
import { SFTPError, SftpStatus, type SftpClient, type SftpStats } from '@x/transport'
import { AtomicFile } from './atomic-file.js'
import { checkPath, checkTransferOptions } from './check.js'
import { localError } from './local-error.js'
import { localTarget, unpreservedMode } from './local-target.js'
import { ProgressCounter } from './progress.js'
import { expandRemoteHome } from './remote-path.js'
import type { GetDestination, GetOptions, TransferResult } from './types.js'
import { writeInto } from './write-into.js'

/**
 * Downloads `remotePath` to a local path or into a writable stream; Fabric's
 * `Connection.get(remote, local, preserve_mode)`, paramiko's `SFTPClient.get`/`getfo`.
 *
 * A local `dest` that ends with a separator or names an existing directory gets the remote
 * file's base name; missing parent directories are created (Fabric 2.6+). A `remotePath` that
 * starts with `~/` is in the remote home (the directory the SFTP session starts in). The download is
 * atomic: it goes with parallel reads into a hidden temporary file in the destination's
 * directory (`.name.<random>.part`, mode 0600, created exclusively), which is then given its mode
 * (the remote file's permission bits with `preserveMode`, the default), fsynced and renamed over
 * the destination. On any failure — a remote error, an abort, a lost connection — the temporary
 * file is removed before the call rejects, and an existing destination is left untouched. A
 * symlink at the destination is replaced by the file, as `mv` does.
 *
 * A stream `dest` receives the bytes in order with backpressure and is neither ended nor
 * destroyed (as Fabric's `getfo`): end it yourself. On failure it may hold part of the file.
 *
 * @example
 * ```ts
 * const sftp = await transport.openSftpClient()
 * await get(sftp, '~/releases/app.tar.gz', 'downloads/', {
 *   onProgress: (n, total) => console.log(`${n}/${total}`),
 * })
 * ```
 * @throws SFTPError from the server, with `path` and `status` (2: no such file, 3: permission
 *   denied, 4: failure, also for a remote directory).
 * @throws SFTPError without `status` when the local file or directory cannot be written; `cause`
 *   is the fs error (`cause.code` 'EACCES', 'ENOSPC', …).
 * @throws ConnectionLostError when the SFTP channel or the connection goes away.
 * @throws TypeError / RangeError for invalid arguments.
 * @throws `signal.reason` when aborted.
 */
export async function get(sftp: SftpClient, remotePath: string, dest: GetDestination, options: GetOptions = {}): Promise<TransferResult> {
  checkPath('remotePath', remotePath)
  checkTransferOptions(options)
  if (typeof dest === 'string') checkPath('dest', dest)
  else if (!isWritable(dest)) throw new TypeError('dest must be a local path or a writable stream')
  options.signal?.throwIfAborted()
  remotePath = await expandRemoteHome(sftp, remotePath, options.signal)
  const info = await sftp.stat(remotePath, { signal: options.signal })
  if (info.isDirectory()) {
    throw new SFTPError(`get '${remotePath}' failed: it is a directory (get fetches one file)`, {
      path: remotePath,
      status: SftpStatus.FAILURE,
    })
  }
  if (typeof dest === 'string') return getFile(sftp, remotePath, dest, info, options)
  const progress = new ProgressCounter(options.onProgress, info.size)
  const source: Readable = sftp.createReadStream(remotePath, { signal: options.signal })
  await writeInto(source, dest, (n) => progress.add(n), options.signal)
  progress.finish()
  return { remotePath, bytes: progress.bytes }
}

async function getFile(sftp: SftpClient, remotePath: string, dest: string, info: SftpStats, o: GetOptions): Promise<TransferResult> {
  const localPath = await localTarget(dest, posix.basename(remotePath), remotePath)
  const mode = o.preserveMode !== false && info.mode !== undefined ? info.mode & 0o7777 : await unpreservedMode(localPath)
  const progress = new ProgressCounter(o.onProgress, info.size)
  let file: AtomicFile
  try {
    file = await AtomicFile.create(localPath)
  } catch (err) {
    throw localError(err, 'get', remotePath, localPath)
  }
  try {
    await sftp.fastGet(remotePath, file.path, { signal: o.signal, onProgress: (bytes) => progress.set(bytes) })
    o.signal?.throwIfAborted()
    await file.commit(mode).catch((err: unknown) => {
      throw localError(err, 'get', remotePath, localPath)
    })
  } catch (err) {
    await file.discard()
    throw err
  }
  progress.finish()
  return { localPath, remotePath, bytes: progress.bytes }
}

function isWritable(value: unknown): value is NodeJS.WritableStream {
  return typeof value === 'object' && value !== null && typeof (value as NodeJS.WritableStream).write === 'function'
}
