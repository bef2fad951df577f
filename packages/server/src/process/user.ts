import { readFile } from 'node:fs/promises'

/** Describes the local account a session runs as: a passwd(5) entry. */
export interface SessionUser {
  /** The login name (USER, LOGNAME). */
  readonly name: string
  /** The numeric user id. */
  readonly uid: number
  /** The primary group id. */
  readonly gid: number
  /** The home directory: the session's working directory and `HOME`. */
  readonly home: string
  /** The login shell; '' means /bin/sh, as sshd does. */
  readonly shell: string
}

/** Thrown by {@link lookupUser} when the account does not exist. */
export class UnknownUserError extends Error {
  override readonly name = 'UnknownUserError' as const
  /** Stable code for `switch (err.code)`. */
  readonly code = 'ERR_UNKNOWN_USER' as const
  /** Creates the error for the account name looked up. */
  constructor(
    /** The name that was looked up. */
    readonly user: string,
    options?: ErrorOptions,
  ) {
    super(`no local account named ${JSON.stringify(user)}`, options)
  }
}

/**
 * Looks up a local account by name (or numeric uid) in a passwd(5) file, as sshd's getpwnam does
 * for files-backed accounts. NSS sources other than the file (LDAP, systemd-homed) are not consulted.
 *
 * @param passwdFile where to read; default /etc/passwd
 * @throws UnknownUserError when no line matches.
 * @example
 * ```ts
 * const user = await lookupUser('git')
 * ```
 */
export async function lookupUser(name: string, passwdFile = '/etc/passwd'): Promise<SessionUser> {
  const text = await readFile(passwdFile, 'utf8')
  for (const line of text.split('\n')) {
    const fields = line.split(':')
    if (fields.length < 7) continue
    const [login = '', , uid = '', gid = '', , home = '', shell = ''] = fields
    if (login === name || (/^\d+$/.test(name) && uid === name)) {
      return { name: login, uid: Number(uid), gid: Number(gid), home, shell }
    }
  }
  throw new UnknownUserError(name)
}
