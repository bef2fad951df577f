/**
 * The option and result types of {@link SftpClient}, all of this package's own: no type of the
 * protocol library underneath appears here.
 */
import type { SftpStats } from './stats.js'

/**
 * How a remote file is opened; the letters mean what they mean for Node's `fs.open`
 * (`r` read, `w` create/truncate, `a` append, `x` fail if it exists, `+` also the other direction).
 */
export type SftpOpenFlags = 'r' | 'r+' | 'w' | 'wx' | 'w+' | 'wx+' | 'a' | 'ax' | 'a+' | 'ax+'

/** SFTP status codes (draft-ietf-secsh-filexfer-02 §7), the values of `SFTPError.status`. */
export const SftpStatus = Object.freeze({
  OK: 0,
  EOF: 1,
  NO_SUCH_FILE: 2,
  PERMISSION_DENIED: 3,
  FAILURE: 4,
  BAD_MESSAGE: 5,
  NO_CONNECTION: 6,
  CONNECTION_LOST: 7,
  OP_UNSUPPORTED: 8,
} as const)

/** One SFTP status code; see {@link SftpStatus}. */
export type SftpStatusCode = (typeof SftpStatus)[keyof typeof SftpStatus]

/** One entry of a directory listing; paramiko's `SFTPAttributes` from `listdir_attr`. */
export interface SftpDirEntry {
  /** The entry's name, without its directory. */
  readonly filename: string
  /** The server's `ls -l` style line for the entry (informational; its format is not specified). */
  readonly longname: string
  /** The entry's attributes, as `lstat` would return them. */
  readonly attrs: SftpStats
}

/** Options of every call that waits for the server. */
export interface SftpCallOptions {
  /** Aborts the wait: the call rejects with `signal.reason`. */
  readonly signal?: AbortSignal | undefined
}

/** Options of {@link SftpClient.mkdir}. */
export interface SftpMkdirOptions extends SftpCallOptions {
  /** Permission bits of the new directory (the server's umask may apply). */
  readonly mode?: number | undefined
  /** Creates missing parents too and accepts an existing directory, as `mkdir -p`. */
  readonly recursive?: boolean | undefined
}

/** Options of {@link SftpClient.rename}. */
export interface SftpRenameOptions extends SftpCallOptions {
  /**
   * Replaces an existing `newPath` atomically, using OpenSSH's `posix-rename@openssh.com`
   * (paramiko's `posix_rename`). Plain SFTP v3 rename fails when the target exists.
   */
  readonly overwrite?: boolean | undefined
}

/** Options of {@link SftpClient.writeFile}. */
export interface SftpWriteFileOptions extends SftpCallOptions {
  /** Permission bits set on the file after opening it (exact: no umask applies). */
  readonly mode?: number | undefined
  /** How the file is opened; `'w'` (create or truncate) by default. */
  readonly flags?: SftpOpenFlags | undefined
}

/** Options of {@link SftpClient.createReadStream}. */
export interface SftpReadStreamOptions {
  /** How the file is opened; `'r'` by default. */
  readonly flags?: SftpOpenFlags | undefined
  /** First byte to read (inclusive); 0 by default. */
  readonly start?: number | undefined
  /** Last byte to read (inclusive, as in `fs.createReadStream`); the end of the file by default. */
  readonly end?: number | undefined
  /** Bytes requested per read; 64 KiB by default. */
  readonly highWaterMark?: number | undefined
  /** Destroys the stream with `signal.reason` when aborted. */
  readonly signal?: AbortSignal | undefined
}

/** Options of {@link SftpClient.createWriteStream}. */
export interface SftpWriteStreamOptions {
  /** How the file is opened; `'w'` by default. */
  readonly flags?: SftpOpenFlags | undefined
  /** Permission bits set on the file after opening it (exact: no umask applies). */
  readonly mode?: number | undefined
  /** Offset of the first byte written; 0 by default. */
  readonly start?: number | undefined
  /** Destroys the stream with `signal.reason` when aborted. */
  readonly signal?: AbortSignal | undefined
}

/** Options shared by {@link SftpClient.fastGet} and {@link SftpClient.fastPut}. */
export interface SftpTransferOptions extends SftpCallOptions {
  /** Requests in flight at once; 64 by default. */
  readonly concurrency?: number | undefined
  /** Bytes per request; 32 KiB by default. */
  readonly chunkSize?: number | undefined
  /** Called after each chunk lands with the bytes moved so far and the source's size at open. */
  readonly onProgress?: ((transferred: number, total: number) => void) | undefined
}

/** Options of {@link SftpClient.fastPut}. */
export interface SftpPutOptions extends SftpTransferOptions {
  /** Permission bits set on the remote file after opening it (exact: no umask applies). */
  readonly mode?: number | undefined
  /**
   * How the remote file is opened: `'w'` (create or truncate, the default) or `'wx'` (create,
   * failing with status 4 when it exists: a name nobody else holds).
   */
  readonly flags?: 'w' | 'wx' | undefined
}

/** Options of {@link SftpClient} as the Transport constructs it. */
export interface SftpClientOptions {
  /**
   * Called once when the client stops being usable (its channel closed, the connection went away
   * or `close()` was called), with the error that closed it, if any.
   */
  readonly onClose?: ((error?: Error) => void) | undefined
}
