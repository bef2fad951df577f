/**
 * The temporary file behind an atomic download (write, fsync, chmod, rename), so that the
 * destination either keeps its old content or gets the whole new one, never a truncated file.
 * @internal
 */
import { randomBytes } from 'node:crypto'
import { open, rename, stat, unlink, type FileHandle } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/** Room left for the `.` prefix and the random suffix within NAME_MAX (255). */
const MAX_BASE = 200

/**
 * Holds a temporary file next to `target`: a hidden name (`.name.<random>.part`) that nothing
 * mistakes for the finished file, created exclusively (O_EXCL, so it never follows a planted
 * symlink) with mode 0600 until {@link commit} sets the final mode.
 */
export class AtomicFile {
  /** The temporary file's path. */
  readonly path: string
  /** The file it becomes on {@link commit}. */
  readonly target: string
  #handle: FileHandle | undefined

  private constructor(path: string, target: string, handle: FileHandle) {
    this.path = path
    this.target = target
    this.#handle = handle
  }

  /** Creates an empty temporary file in `target`'s directory. @throws the fs error */
  static async create(target: string): Promise<AtomicFile> {
    const base = basename(target).slice(0, MAX_BASE)
    for (let attempt = 0; ; attempt++) {
      const path = join(dirname(target), `.${base}.${randomBytes(6).toString('hex')}.part`)
      try {
        return new AtomicFile(path, target, await open(path, 'wx', 0o600))
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 4) throw err
      }
    }
  }

  /**
   * Makes the temporary file the target: checks that the path still names the file created here
   * (a writer that re-opened it by path must not have been redirected), sets `mode`, flushes data
   * and metadata to disk, renames it over the target and flushes the directory entry.
   * @throws the fs error; the caller then calls {@link discard}.
   */
  async commit(mode: number): Promise<void> {
    const handle = this.#handle
    if (!handle) throw new Error('the temporary file was already committed or discarded')
    const [mine, named] = await Promise.all([handle.stat(), stat(this.path)])
    if (mine.ino !== named.ino || mine.dev !== named.dev) {
      throw Object.assign(new Error(`${this.path} was replaced during the download`), { code: 'EEXIST' })
    }
    await handle.chmod(mode)
    await handle.sync()
    this.#handle = undefined
    await handle.close()
    await rename(this.path, this.target)
    await syncDirectory(dirname(this.target))
  }

  /** Closes and removes the temporary file; never throws (a missing file is fine). */
  async discard(): Promise<void> {
    const handle = this.#handle
    this.#handle = undefined
    await handle?.close().catch(() => {})
    await unlink(this.path).catch(() => {})
  }
}

/** Flushes a directory's entries (the rename) to disk; some file systems refuse, which is fine. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined)
  if (!handle) return
  try {
    await handle.sync()
  } catch {
    // EINVAL on file systems without directory fsync: the rename is still done.
  } finally {
    await handle.close().catch(() => {})
  }
}
