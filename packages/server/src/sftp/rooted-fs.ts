/**
 * Path confinement: every client path is resolved inside `root`, component by component on the
 * real filesystem, as a chroot would resolve it. See the package README, "Security model".
 */
import { lstat, readlink } from 'node:fs/promises'
import { join } from 'node:path'
import { SftpStatus } from './constants.js'
import { SftpStatusError, denied, noSuchFile } from './status.js'

/** The symlinks followed while resolving one path before ELOOP (Linux's MAXSYMLINKS). */
const MAX_SYMLINK_FOLLOWS = 40

/** Whether the last component of a path is followed when it is a symlink. */
export type FinalComponent = 'follow' | 'nofollow'

/** A client path resolved inside root. */
export interface ResolvedPath {
  /** The host path to operate on: root joined with {@link components}; no symlink in its directories. */
  readonly real: string
  /** The path as the client sees it: `/` is root. */
  readonly virtual: string
  /** The components below root, each an existing directory except possibly the last. */
  readonly components: readonly string[]
}

/** Splits a path into its components, dropping empty ones and `.`. */
function split(path: string): string[] {
  return path.split('/').filter((c) => c !== '' && c !== '.')
}

/**
 * Resolves client paths against a root directory, chroot-style: `/` is root, `..` stops at root,
 * every symlink met on the way is read and resolved again inside root (an absolute target from
 * root, a relative one from the link's directory), so no path — `..`, absolute, or through any
 * symlink however it was made — names anything outside root at the time it is checked.
 */
export class RootedFs {
  /** The real path of root (symlinks in it already resolved by the caller). */
  readonly root: string

  /** Wraps a root directory given as its real path. */
  constructor(realRoot: string) {
    this.root = realRoot
  }

  /**
   * Resolves `path`. With `'follow'` a final symlink is followed too; with `'nofollow'` the final
   * component is left as named (for lstat, remove, rename, readlink, symlink, link). A missing
   * final component is allowed (for creates); a missing directory on the way is NO_SUCH_FILE.
   */
  async resolve(path: string, final: FinalComponent): Promise<ResolvedPath> {
    if (path.includes('\0')) throw new SftpStatusError(SftpStatus.BAD_MESSAGE, 'Bad path')
    const queue = split(path)
    let stack: string[] = []
    let follows = 0
    while (queue.length > 0) {
      const c = queue.shift() as string
      if (c === '..') {
        stack.pop()
        continue
      }
      const last = queue.length === 0
      if (last && final === 'nofollow') {
        stack.push(c)
        break
      }
      const real = join(this.root, ...stack, c)
      const st = await lstat(real).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT' && last) return null
        throw err.code === 'ENOENT' || err.code === 'ENOTDIR' ? noSuchFile() : err
      })
      if (st === null) {
        stack.push(c)
        break
      }
      if (st.isSymbolicLink()) {
        if (++follows > MAX_SYMLINK_FOLLOWS) throw new SftpStatusError(SftpStatus.FAILURE, 'Too many levels of symbolic links')
        const target = await readlink(real)
        if (target.startsWith('/')) stack = []
        queue.unshift(...split(target))
        continue
      }
      if (!last && !st.isDirectory()) throw noSuchFile()
      stack.push(c)
    }
    return { real: join(this.root, ...stack), virtual: `/${stack.join('/')}`, components: stack }
  }

  /** Resolves a path whose final component will be created, removed or renamed: never root itself. */
  async resolveEntry(path: string): Promise<ResolvedPath> {
    const resolved = await this.resolve(path, 'nofollow')
    if (resolved.components.length === 0) throw denied('Operation not permitted on the root')
    return resolved
  }

  /**
   * Checks the target of a symlink about to be created at `link`: it must be relative and, read
   * lexically from the link's directory, stay inside root, so the link means the same thing to this
   * server and to any other program on the host. Absolute or climbing targets are PERMISSION_DENIED.
   */
  checkSymlinkTarget(link: ResolvedPath, target: string): void {
    if (target.startsWith('/') || target.includes('\0')) throw denied('Symlink target must be relative and inside the root')
    let depth = link.components.length - 1
    for (const c of split(target)) {
      depth += c === '..' ? -1 : 1
      if (depth < 0) throw denied('Symlink target must be relative and inside the root')
    }
  }
}
