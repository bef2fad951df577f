/**
 * `mkdir -p` over SFTP v3, which has no such request: create each missing ancestor in turn.
 */
import { SFTPError } from '../errors.js'
import { statusOf } from './sftp-errors.js'
import type { SftpSession } from './session.js'
import { toSftpStats } from './stats.js'
import { SftpStatus } from './types.js'

/** Creates `path` with one MKDIR request. */
export function mkdirOnce(session: SftpSession, path: string, mode: number | undefined, signal?: AbortSignal): Promise<void> {
  const attrs = mode === undefined ? {} : { mode }
  return session.run<void>({ op: 'mkdir', path, signal }, (cb) => session.wrapper.mkdir(path, attrs, cb))
}

async function isDirectory(session: SftpSession, path: string, signal?: AbortSignal): Promise<boolean | undefined> {
  try {
    const raw = await session.run<unknown>({ op: 'stat', path, signal }, (cb) => session.wrapper.stat(path, cb))
    return toSftpStats(raw).isDirectory()
  } catch (err) {
    if (statusOf(err) === SftpStatus.NO_SUCH_FILE) return undefined
    throw err
  }
}

/** Lists `path` and its ancestors, longest last: `a/b/c` → `a`, `a/b`, `a/b/c`. */
function prefixes(path: string): string[] {
  const absolute = path.startsWith('/')
  const parts = path.split('/').filter((p) => p !== '' && p !== '.')
  return parts.map((_, i) => (absolute ? '/' : '') + parts.slice(0, i + 1).join('/'))
}

/**
 * Creates `path` and any missing parents; an existing directory is fine, an existing
 * non-directory raises SFTPError with status FAILURE. Ancestors are walked from the deepest
 * existing one, so only missing levels cost a MKDIR.
 */
export async function mkdirRecursive(session: SftpSession, path: string, mode: number | undefined, signal?: AbortSignal): Promise<void> {
  const levels = prefixes(path)
  let i = levels.length
  // Find the deepest level that exists (usually close to the end).
  while (i > 0) {
    const level = levels[i - 1] as string
    const dir = await isDirectory(session, level, signal)
    if (dir === true) break
    if (dir === false) {
      throw new SFTPError(`SFTP mkdir '${path}' failed: '${level}' exists and is not a directory`, {
        path: level,
        status: SftpStatus.FAILURE,
      })
    }
    i -= 1
  }
  for (const level of levels.slice(i)) {
    try {
      await mkdirOnce(session, level, mode, signal)
    } catch (err) {
      // Someone else may have created it meanwhile (OpenSSH answers FAILURE for EEXIST).
      if (statusOf(err) === undefined || (await isDirectory(session, level, signal)) !== true) throw err
    }
  }
}
