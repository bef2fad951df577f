/**
 * The config's `front_auth` as listen()'s auth policy: a per-user authorized_keys path with
 * sshd's tokens (`%u`, `%U`, `%h`, `%%`), read with StrictModes at each login, and a password
 * file of scrypt hashes.
 */
import { AuthorizedKeys, lookupUser, PasswordFile, type AuthPolicy } from '@x/server'
import type { FrontAuthConfig } from '../config/router-config.js'

/** A user name safe to put in a path: no `/`, not `.` or `..`, no leading `-`. */
const SAFE_NAME = /^[A-Za-z0-9_.][A-Za-z0-9_.@-]*$/

/**
 * The path of `user`'s authorized_keys from a pattern with sshd's tokens; undefined when the
 * user cannot have one (an unsafe name, or %U/%h for an unknown account).
 */
export async function authorizedKeysPath(pattern: string, user: string): Promise<string | undefined> {
  if (!SAFE_NAME.test(user) || user === '.' || user === '..') return undefined
  const needsAccount = /%[Uh]/.test(pattern)
  const account = needsAccount ? await lookupUser(user).catch(() => undefined) : undefined
  if (needsAccount && !account) return undefined
  let bad = false
  const path = pattern.replace(/%(.)/g, (_m, t: string) => {
    if (t === '%') return '%'
    if (t === 'u') return user
    if (t === 'U') return String(account!.uid)
    if (t === 'h') return account!.home
    bad = true
    return ''
  })
  return bad ? undefined : path
}

/** listen()'s auth for `front`; the password file is read now (a missing one refuses at start). */
export async function frontAuthPolicy(front: FrontAuthConfig): Promise<AuthPolicy> {
  const passwords = front.passwords === undefined ? undefined : await PasswordFile.load(front.passwords)
  const pattern = front.authorizedKeys
  return {
    ...(pattern === undefined
      ? {}
      : {
          authorizedKeys: async (user: string) => {
            const path = await authorizedKeysPath(pattern, user)
            // No file (or an unsafe one): no key logs this user in, as under sshd.
            return path === undefined ? undefined : AuthorizedKeys.load(path).catch(() => undefined)
          },
        }),
    ...(passwords === undefined ? {} : { password: (user: string, password: string) => passwords.check(user, password) }),
  }
}
