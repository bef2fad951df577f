/**
 * Where a download lands: Fabric's rules for a local path.
 * @internal
 */
import { mkdir, stat } from 'node:fs/promises'
import { dirname, join, resolve, sep } from 'node:path'
import { localError } from './local-error.js'

/**
 * Returns the absolute local file a download writes: `dest` itself, or `dest/name` when `dest`
 * ends with a separator or names an existing directory. Creates missing parent directories, as
 * Fabric 2.6+ does (`Path(dir).mkdir(parents=True)`).
 *
 * @throws SFTPError without `status` when the directories cannot be created; `cause` is the fs error.
 */
export async function localTarget(dest: string, name: string, remotePath: string): Promise<string> {
  let path = resolve(dest)
  if (dest.endsWith(sep) || dest.endsWith('/') || (await isDirectory(path))) path = join(path, name)
  try {
    await mkdir(dirname(path), { recursive: true })
  } catch (err) {
    throw localError(err, 'get', remotePath, path)
  }
  return path
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory()
  } catch {
    return false
  }
}

/**
 * Returns the mode a download gets without `preserveMode`: that of the file it replaces, as
 * writing into it would keep, else 0o666 minus the umask, as a newly created file gets.
 */
export async function unpreservedMode(path: string): Promise<number> {
  try {
    const info = await stat(path)
    if (info.isFile()) return info.mode & 0o7777
  } catch {
    // No file to replace: a new file's mode.
  }
  return 0o666 & ~process.umask()
}
