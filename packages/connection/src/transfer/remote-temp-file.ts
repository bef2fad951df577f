/**
 * The remote temporary file behind an atomic upload (write, chmod, rename), the mirror of
 * {@link AtomicFile} on the server: the final name either keeps its old content or gets the whole
 * new file, never a truncated one.
 * @internal
 */
import { randomBytes } from 'node:crypto'
import { posix } from 'node:path'
import { ConnectionLostError, SFTPError, SftpStatus, type SftpClient } from '@x/transport'

/** Room left for the `.` prefix and the random suffix within NAME_MAX (255), as AtomicFile. */
const MAX_BASE = 200
/** How long removing a temporary file after a failure may take. */
const DISCARD_BOUND_MS = 5_000
/** The OpenSSH extension that renames over an existing file (rename(2)), atomically. */
export const POSIX_RENAME = 'posix-rename@openssh.com'

/**
 * Names a temporary file next to `target`: `.name.<random>.part` in the same remote directory (so
 * the rename never crosses file systems), the name `get` uses locally. The upload creates it
 * exclusively (`'wx'`), so it never truncates or follows something already there.
 */
export class RemoteTempFile {
  /** The temporary file's remote path. */
  readonly path: string
  /** The file it becomes on {@link commit}. */
  readonly target: string
  readonly #sftp: SftpClient
  /** Set once the target was removed by the fallback: the temp file is then the only copy. */
  #onlyCopy = false

  constructor(sftp: SftpClient, target: string) {
    this.#sftp = sftp
    this.target = target
    const base = posix.basename(target).slice(0, MAX_BASE)
    this.path = posix.join(posix.dirname(target), `.${base}.${randomBytes(6).toString('hex')}.part`)
  }

  /**
   * Gives the temporary file `mode` (when defined) and renames it over the target. Not abortable:
   * it runs after the last byte is written, and a rename whose answer was abandoned would leave
   * the caller not knowing which content the target has.
   *
   * With `posix-rename@openssh.com` (OpenSSH's sftp-server and internal-sftp, and Dropbear, which
   * runs OpenSSH's sftp-server) the replace is one atomic rename(2). Without it, a plain SFTP v3
   * RENAME is tried (atomic where the server renames over an existing file); when that fails and
   * the target exists, the target is removed and the rename repeated: between the two the final
   * name is missing, and if the second rename fails the temporary file is kept (it is then the
   * only copy) and the error names it.
   * @throws SFTPError from the server (`path` is the target); the caller then calls {@link discard}.
   */
  async commit(mode: number | undefined): Promise<void> {
    const sftp = this.#sftp
    if (mode !== undefined) await sftp.chmod(this.path, mode)
    if (sftp.hasExtension(POSIX_RENAME)) {
      await sftp.rename(this.path, this.target, { overwrite: true })
      return
    }
    try {
      await sftp.rename(this.path, this.target)
      return
    } catch (err) {
      if (!(err instanceof SFTPError) || err.status === undefined || !(await sftp.exists(this.target))) throw err
    }
    await sftp.unlink(this.target)
    this.#onlyCopy = true
    try {
      await sftp.rename(this.path, this.target)
    } catch (err) {
      throw new SFTPError(
        `put '${this.target}' failed: the old file was removed but the upload could not be renamed into its place; it is kept as '${this.path}'`,
        { path: this.target, status: err instanceof SFTPError ? err.status : undefined },
        { cause: err },
      )
    }
    this.#onlyCopy = false
  }

  /**
   * Removes the temporary file after `err` ended the upload and returns the error to throw: `err`
   * itself (with the target as `path`) when the file is gone, else one that says the file was left
   * on the server (a ConnectionLostError stays one). Bounded: at most 5 s. Never rejects.
   */
  async discard(err: unknown): Promise<unknown> {
    const failure = this.#retarget(err)
    if (this.#onlyCopy) return failure
    const sftp = this.#sftp
    let problem: unknown
    if (!sftp.isOpen) {
      problem = new ConnectionLostError('the SFTP channel is closed')
    } else {
      try {
        await sftp.unlink(this.path, { signal: AbortSignal.timeout(DISCARD_BOUND_MS) })
        return failure
      } catch (unlinkError) {
        if (unlinkError instanceof SFTPError && unlinkError.status === SftpStatus.NO_SUCH_FILE) return failure
        problem = unlinkError
      }
    }
    return this.#leftOver(failure, problem)
  }

  /** A server error about the temporary file is reported for the target the caller named. */
  #retarget(err: unknown): unknown {
    if (!(err instanceof SFTPError) || err.path !== this.path) return err
    return new SFTPError(`put '${this.target}' failed: ${err.message}`, { path: this.target, status: err.status }, { cause: err })
  }

  #leftOver(failure: unknown, problem: unknown): Error {
    const why = problem instanceof Error ? problem.message : String(problem)
    const detail = failure instanceof Error ? failure.message : String(failure)
    const note = `; its temporary file '${this.path}' could not be removed (${why})`
    if (failure instanceof ConnectionLostError) return new ConnectionLostError(`${detail}${note}`, { cause: failure })
    if (failure instanceof SFTPError) return new SFTPError(`${detail}${note}`, { path: failure.path, status: failure.status }, { cause: failure })
    return new SFTPError(`put '${this.target}' failed: ${detail}${note}`, { path: this.target }, { cause: failure })
  }
}
