/**
 * Reading an authorized_keys file with sshd's `StrictModes` checks (misc.c safe_path()):
 * the file must be a regular file, and it and every directory above it (up to the user's
 * home when the file is inside it, else up to `/`) must be owned by the user or root and
 * writable by neither group nor others.
 */
import { readFile, realpath, stat } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, relative, isAbsolute, sep } from 'node:path'
import { ConfigError } from '@x/transport'

/** Options of `AuthorizedKeys.load`. */
export interface LoadAuthorizedKeysOptions {
  /**
   * sshd's StrictModes: refuse a file that is unsafe by ownership or mode. Default true
   * (sshd's default); `false` reads any file.
   */
  readonly strictModes?: boolean | undefined
  /** The uid that must own the file if root does not (default: this process's uid). */
  readonly uid?: number | undefined
  /** The user's home directory, where the directory walk stops (default: `os.homedir()`). */
  readonly home?: string | undefined
}

/** Returns the file's text after the StrictModes checks. @throws ConfigError when they refuse. */
export async function loadAuthorizedKeysText(path: string, options: LoadAuthorizedKeysOptions): Promise<string> {
  if (options.strictModes ?? true) await checkSafePath(path, options)
  return readFile(path, 'utf8')
}

async function checkSafePath(path: string, options: LoadAuthorizedKeysOptions): Promise<void> {
  const uid = options.uid ?? process.getuid?.() ?? 0
  const real = await realpath(path)
  const home = await realpath(options.home ?? homedir()).catch(() => undefined)
  const fail = (what: string): never => {
    throw new ConfigError(`StrictModes: ${what}; authorized_keys refused`, { file: path })
  }
  const file = await stat(real)
  if (!file.isFile()) fail(`${real} is not a regular file`)
  const unsafe = (s: { uid: number; mode: number }): boolean => (s.uid !== 0 && s.uid !== uid) || (s.mode & 0o022) !== 0
  if (unsafe(file)) fail(`bad ownership or modes for file ${real}`)
  const underHome = home !== undefined && isInside(real, home)
  for (let dir = dirname(real); ; dir = dirname(dir)) {
    if (unsafe(await stat(dir))) fail(`bad ownership or modes for directory ${dir}`)
    if ((underHome && dir === home) || dir === dirname(dir)) break
  }
}

function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path)
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel)
}
