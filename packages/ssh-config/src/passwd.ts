/** Looks users up in /etc/passwd, for `~user` paths (getpwnam(3) without NSS), and the current one. */
import { readFileSync } from 'node:fs'
import os from 'node:os'

/** Returns the home directory of a local user from /etc/passwd, or undefined when unknown. */
export function passwdHome(user: string): string | undefined {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':')
      if (f[0] === user) return f[5]
    }
  } catch {
    // No passwd file: `~user` stays unknown.
  }
  return undefined
}

/**
 * The current user's passwd entry (getpwuid(getuid()), as ssh reads it), or undefined where the
 * process has none (os.userInfo() throws for a uid without an entry).
 */
export function currentUserInfo(): os.UserInfo<string> | undefined {
  try {
    return os.userInfo()
  } catch {
    return undefined
  }
}
