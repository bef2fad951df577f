/**
 * Option and result types of `put()` and `get()`, all of this library's own: no type of the
 * protocol library underneath appears in a public signature.
 */

/**
 * Receives transfer progress: the bytes moved so far and the size of the source when it is known
 * (a local or remote file, a Buffer), `undefined` for a stream source. The last call always
 * reports the final byte count (also for an empty file: `(0, 0)`).
 */
export type TransferProgress = (bytes: number, total: number | undefined) => void

/** Lists what `put()` uploads: a local file path, a readable stream, or bytes in memory. */
export type PutSource = string | NodeJS.ReadableStream | Uint8Array

/** Lists where `get()` writes: a local file or directory path, or a writable stream. */
export type GetDestination = string | NodeJS.WritableStream

/** Describes a finished transfer; Fabric's `fabric.transfer.Result`. */
export interface TransferResult {
  /** The absolute local file written or read; absent when a stream or Buffer was used. */
  readonly localPath?: string | undefined
  /** The remote file written or read, after a directory target got the file name appended. */
  readonly remotePath: string
  /** Bytes moved. */
  readonly bytes: number
}

/** Configures `put()`; Fabric's `put(local, remote, preserve_mode, callback)`. */
export interface PutOptions {
  /**
   * Permission bits for the remote file, set exactly after opening it (no umask applies). Wins
   * over `preserveMode`.
   */
  readonly mode?: number | undefined
  /**
   * Copies the local file's permission bits to the remote file (Fabric's `preserve_mode`);
   * default true. Only a path source has a mode to copy.
   */
  readonly preserveMode?: boolean | undefined
  /**
   * Uploads into a temporary file next to the target and renames it over the target (default
   * true), so the target has its old content or the whole new one, never part of it. `false`
   * writes into the target in place (as OpenSSH's `sftp put` does): for a directory where only
   * the target itself is writable, or a target that must keep its inode, owner or symlink.
   */
  readonly atomic?: boolean | undefined
  /**
   * Creates the target's missing parent directories first, as `mkdir -p` (with the server's
   * default mode); default false, so a mistyped directory fails with status 2.
   */
  readonly mkdirs?: boolean | undefined
  /** Called as bytes are written; see {@link TransferProgress}. */
  readonly onProgress?: TransferProgress | undefined
  /** Aborts the transfer: the call rejects with `signal.reason` once every handle is closed. */
  readonly signal?: AbortSignal | undefined
}

/** Configures `get()`; Fabric's `get(remote, local, preserve_mode, callback)`. */
export interface GetOptions {
  /**
   * Gives the local file the remote file's permission bits (Fabric's `preserve_mode`); default
   * true. When false, a replaced file keeps its mode and a new one gets 0o666 minus the umask.
   * Ignored for a stream destination.
   */
  readonly preserveMode?: boolean | undefined
  /** Called as bytes arrive; see {@link TransferProgress}. */
  readonly onProgress?: TransferProgress | undefined
  /** Aborts the transfer: the call rejects with `signal.reason` once every handle is closed. */
  readonly signal?: AbortSignal | undefined
}
