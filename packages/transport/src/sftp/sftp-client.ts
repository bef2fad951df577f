/**
 * A promise-based SFTP v3 client over one session channel; paramiko's `SFTPClient`.
 */
import type { Readable, Writable } from 'node:stream'
import { sftpExtensions } from '../internal/protocol-internals.js'
import { checkMode, checkOpenFlags } from './handles.js'
import { mkdirOnce, mkdirRecursive } from './mkdirs.js'
import { statusOf, type SftpOperation } from './sftp-errors.js'
import { isSftpWrapper, SftpSession } from './session.js'
import { toSftpStats, type SftpStats } from './stats.js'
import { SftpReadStream, SftpWriteStream } from './streams.js'
import { fastGet, fastPut, readWholeFile, writeWholeFile } from './transfer.js'
import { SftpStatus } from './types.js'
import type * as T from './types.js'

const CLOSE_GRACE_MS = 5_000

const toSeconds = (t: number | Date): number => {
  const s = t instanceof Date ? t.getTime() / 1000 : t
  if (!Number.isFinite(s)) throw new TypeError(`invalid time: ${String(t)}`)
  return Math.floor(s)
}

/**
 * Runs SFTP operations on a remote host; paramiko's `SFTPClient`. Get one from
 * `transport.openSftpClient()` (or `connection.sftp()`).
 *
 * Every method that waits takes `{ signal }` last and rejects with `signal.reason` on abort,
 * closing any handle it opened. Server failures raise {@link SFTPError} with `path`, `status`
 * (see {@link SftpStatus}) and `cause`. When the channel or the connection closes, every pending
 * and later call rejects with {@link ConnectionLostError} (also after {@link SftpClient.close}).
 *
 * @example
 * ```ts
 * await using sftp = await transport.openSftpClient()
 * await sftp.mkdir('/srv/app', { recursive: true })
 * await sftp.fastPut('build.tar', '/srv/app/build.tar', { onProgress: (n, total) => bar(n / total) })
 * ```
 */
export class SftpClient {
  readonly #session: SftpSession
  readonly #onClose: ((error?: Error) => void) | undefined

  /**
   * Wraps the SFTP session of a transport's channel (internal: the Transport calls this through
   * `createSftpClient`; use `Transport.openSftpClient()`).
   * @throws TypeError when `wrapper` is not such a session.
   */
  constructor(wrapper: unknown, options: T.SftpClientOptions = {}) {
    if (!isSftpWrapper(wrapper)) throw new TypeError('SftpClient needs the SFTP wrapper ssh2 yields from Client#sftp()')
    this.#onClose = options.onClose
    this.#session = new SftpSession(wrapper, (cause) => this.#onClose?.(cause instanceof Error ? cause : undefined))
  }

  /** Tells whether the channel is open and calls can be made. */
  get isOpen(): boolean {
    return this.#session.isOpen
  }

  /**
   * Tells whether the server advertised the SFTP extension `name` in its VERSION packet, e.g.
   * `'posix-rename@openssh.com'` (what `rename(…, { overwrite: true })` needs). OpenSSH's
   * sftp-server and internal-sftp advertise it; a server that does not would fail that call.
   */
  hasExtension(name: string): boolean {
    return Object.hasOwn(sftpExtensions(this.#session.wrapper), name)
  }

  #call<V>(o: SftpOperation & T.SftpCallOptions, start: (cb: (err: Error | null | undefined, value?: V) => void) => void): Promise<V> {
    return this.#session.run<V>(o, start)
  }

  /** Returns the attributes of `path`, following symlinks; paramiko's `stat`. @throws SFTPError status 2 when missing. */
  async stat(path: string, options: T.SftpCallOptions = {}): Promise<SftpStats> {
    return toSftpStats(await this.#call({ op: 'stat', path, ...options }, (cb) => this.#session.wrapper.stat(path, cb)))
  }

  /** Returns the attributes of `path` itself, not following a symlink; paramiko's `lstat`. @throws SFTPError */
  async lstat(path: string, options: T.SftpCallOptions = {}): Promise<SftpStats> {
    return toSftpStats(await this.#call({ op: 'lstat', path, ...options }, (cb) => this.#session.wrapper.lstat(path, cb)))
  }

  /** Lists a directory without `.` and `..`; paramiko's `listdir_attr`. @throws SFTPError */
  async readdir(path: string, options: T.SftpCallOptions = {}): Promise<T.SftpDirEntry[]> {
    const list = await this.#call<Array<{ filename: string; longname: string; attrs: unknown }>>(
      { op: 'readdir', path, ...options },
      (cb) => this.#session.wrapper.readdir(path, cb),
    )
    return list.map((e) => Object.freeze({ filename: e.filename, longname: e.longname, attrs: toSftpStats(e.attrs) }))
  }

  /**
   * Creates a directory; paramiko's `mkdir`. With `recursive`, creates missing parents and accepts
   * an existing directory. @throws SFTPError (status 4 when it exists, without `recursive`)
   */
  async mkdir(path: string, options: T.SftpMkdirOptions = {}): Promise<void> {
    checkMode(options.mode)
    if (options.recursive === true) await mkdirRecursive(this.#session, path, options.mode, options.signal)
    else await mkdirOnce(this.#session, path, options.mode, options.signal)
  }

  /** Removes an empty directory; paramiko's `rmdir`. @throws SFTPError */
  async rmdir(path: string, options: T.SftpCallOptions = {}): Promise<void> {
    await this.#call<void>({ op: 'rmdir', path, ...options }, (cb) => this.#session.wrapper.rmdir(path, cb))
  }

  /** Removes a file or symlink; paramiko's `remove`/`unlink`. @throws SFTPError */
  async unlink(path: string, options: T.SftpCallOptions = {}): Promise<void> {
    await this.#call<void>({ op: 'unlink', path, ...options }, (cb) => this.#session.wrapper.unlink(path, cb))
  }

  /**
   * Renames `oldPath` to `newPath`; paramiko's `rename` (fails when `newPath` exists), or
   * `posix_rename` with `overwrite: true`. @throws SFTPError
   */
  async rename(oldPath: string, newPath: string, options: T.SftpRenameOptions = {}): Promise<void> {
    const { wrapper } = this.#session
    await this.#call<void>({ op: 'rename', path: oldPath, toPath: newPath, ...options }, (cb) =>
      options.overwrite === true ? wrapper.ext_openssh_rename(oldPath, newPath, cb) : wrapper.rename(oldPath, newPath, cb),
    )
  }

  /** Returns the canonical absolute form of `path`; paramiko's `normalize`. @throws SFTPError */
  realpath(path: string, options: T.SftpCallOptions = {}): Promise<string> {
    return this.#call<string>({ op: 'realpath', path, ...options }, (cb) => this.#session.wrapper.realpath(path, cb))
  }

  /** Sets the permission bits of `path`; paramiko's `chmod`. @throws SFTPError */
  async chmod(path: string, mode: number, options: T.SftpCallOptions = {}): Promise<void> {
    checkMode(mode)
    await this.#call<void>({ op: 'chmod', path, ...options }, (cb) => this.#session.wrapper.chmod(path, mode, cb))
  }

  /** Sets access and modification times (seconds since the epoch, or Dates); paramiko's `utime`. @throws SFTPError */
  async utimes(path: string, atime: number | Date, mtime: number | Date, options: T.SftpCallOptions = {}): Promise<void> {
    const a = toSeconds(atime)
    const m = toSeconds(mtime)
    await this.#call<void>({ op: 'utimes', path, ...options }, (cb) => this.#session.wrapper.utimes(path, a, m, cb))
  }

  /** Returns the target of the symlink `path`; paramiko's `readlink`. @throws SFTPError */
  readlink(path: string, options: T.SftpCallOptions = {}): Promise<string> {
    return this.#call<string>({ op: 'readlink', path, ...options }, (cb) => this.#session.wrapper.readlink(path, cb))
  }

  /** Creates a symlink at `linkPath` pointing to `target`; paramiko's `symlink(source, dest)`. @throws SFTPError */
  async symlink(target: string, linkPath: string, options: T.SftpCallOptions = {}): Promise<void> {
    // ssh2 1.17 swaps the two arguments for OpenSSH, whose SSH_FXP_SYMLINK order is reversed.
    await this.#call<void>({ op: 'symlink', path: linkPath, toPath: target, ...options }, (cb) =>
      this.#session.wrapper.symlink(target, linkPath, cb),
    )
  }

  /**
   * Tells whether `path` exists (following symlinks). Only "no such file" means false; any other
   * failure (permission denied, a closed channel) rejects. @throws SFTPError
   */
  async exists(path: string, options: T.SftpCallOptions = {}): Promise<boolean> {
    try {
      await this.stat(path, options)
      return true
    } catch (err) {
      if (statusOf(err) === SftpStatus.NO_SUCH_FILE) return false
      throw err
    }
  }

  /** Reads a whole remote file into memory, with parallel reads. @throws SFTPError */
  readFile(path: string, options: T.SftpCallOptions = {}): Promise<Buffer> {
    return readWholeFile(this.#session, path, options.signal)
  }

  /**
   * Writes `data` (a string is UTF-8) to a remote file, creating or truncating it; `mode` is set
   * exactly after opening. On abort the file is left partly written. @throws SFTPError
   */
  async writeFile(path: string, data: Uint8Array | string, options: T.SftpWriteFileOptions = {}): Promise<void> {
    const flags = options.flags ?? 'w'
    checkOpenFlags(flags)
    checkMode(options.mode)
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
    await writeWholeFile(this.#session, path, bytes, { flags, mode: options.mode, signal: options.signal })
  }

  /** Returns a Readable over a remote file (`start`/`end` inclusive, as `fs.createReadStream`); paramiko's `open('r')`. */
  createReadStream(path: string, options: T.SftpReadStreamOptions = {}): Readable {
    return new SftpReadStream(this.#session, path, options)
  }

  /** Returns a Writable to a remote file; it closes the handle on finish and reports close errors; paramiko's `open('w')`. */
  createWriteStream(path: string, options: T.SftpWriteStreamOptions = {}): Writable {
    return new SftpWriteStream(this.#session, path, options)
  }

  /**
   * Downloads `remotePath` to `localPath` with parallel reads; paramiko's `get`. On failure or abort
   * both files are closed before the call rejects; the partial local file is left in place.
   * @throws SFTPError (local file errors too, with the fs error as `cause`)
   */
  fastGet(remotePath: string, localPath: string, options: T.SftpTransferOptions = {}): Promise<void> {
    return fastGet(this.#session, remotePath, localPath, options)
  }

  /**
   * Uploads `localPath` to `remotePath` with parallel writes; paramiko's `put`. `mode` is set
   * exactly after opening; `flags: 'wx'` fails (status 4) when `remotePath` exists. On failure or
   * abort both files are closed before the call rejects.
   * @throws SFTPError (local file errors too, with the fs error as `cause`)
   */
  async fastPut(localPath: string, remotePath: string, options: T.SftpPutOptions = {}): Promise<void> {
    checkMode(options.mode)
    if (options.flags !== undefined && options.flags !== 'w' && options.flags !== 'wx') throw new TypeError(`fastPut flags must be 'w' or 'wx', got ${String(options.flags)}`)
    return fastPut(this.#session, localPath, remotePath, options)
  }

  /**
   * Closes the SFTP channel; paramiko's `close`. Idempotent. Pending calls reject with
   * ConnectionLostError at once; resolves when the server confirmed the close (at most 5 s).
   */
  async close(): Promise<void> {
    this.#session.shutdown(undefined)
    this.#session.wrapper.end()
    await this.#session.waitChannelClosed(CLOSE_GRACE_MS)
  }

  /** Closes the client at the end of an `await using` block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}
