/** Looks users up in /etc/passwd, for `~user` paths (getpwnam(3) without NSS). */
import { readFileSync } from 'node:fs'

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
