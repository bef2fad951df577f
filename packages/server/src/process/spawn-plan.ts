import { existsSync } from 'node:fs'
import { basename } from 'node:path'
import type { SessionUser } from './user.js'

/** Where util-linux's setpriv(1) lives on Debian; it sets uid, gid and the user's groups for a pty. */
export const SETPRIV = '/usr/bin/setpriv'

/** Describes how to start a session's process: what to exec, with which argv and credentials. */
export interface SpawnPlan {
  /** The file to exec. */
  readonly file: string
  /** The arguments after argv[0]. */
  readonly args: readonly string[]
  /** argv[0] as sshd sets it (`-bash` for a login shell, `bash` for a command). */
  readonly argv0: string
  /** The uid/gid to switch to, when the server runs as root and the user is someone else. */
  readonly credentials?: { readonly uid: number; readonly gid: number } | undefined
  /** The shell that runs the session (SHELL). */
  readonly shell: string
}

/**
 * Plans the exec of a session as sshd's do_child does: `shell -c command` with argv[0] the shell's
 * base name, or, without a command, a login shell whose argv[0] is `-` and the base name. An empty
 * passwd shell means /bin/sh. Credentials change only when this process is root and the user's uid
 * or gid differs from ours.
 */
export function planSpawn(user: SessionUser, command: string | undefined): SpawnPlan {
  const shell = user.shell === '' ? '/bin/sh' : user.shell
  const name = basename(shell)
  const ourUid = process.getuid?.()
  const ourGid = process.getgid?.()
  const credentials =
    ourUid === 0 && (user.uid !== ourUid || user.gid !== ourGid) ? { uid: user.uid, gid: user.gid } : undefined
  return command === undefined
    ? { file: shell, args: [], argv0: `-${name}`, credentials, shell }
    : { file: shell, args: ['-c', command], argv0: name, credentials, shell }
}

/**
 * Returns the plan's arguments for a starter that cannot set argv[0] (node-pty execs `file` as
 * argv[0]; setpriv execs its program likewise): a login shell gets `-l` instead of the leading `-`.
 */
export function argsWithoutArgv0(plan: SpawnPlan): string[] {
  return plan.argv0.startsWith('-') ? ['-l', ...plan.args] : [...plan.args]
}

/**
 * Wraps `file args` in `setpriv --reuid --regid --init-groups --` when the plan changes user, so the
 * user's supplementary groups are set as sshd's initgroups sets them (Node's uid/gid option drops
 * them all through libuv's setgroups(0); node-pty's calls only setgid and setuid, keeping root's).
 *
 * @throws Error when a change of user is needed and setpriv is not installed.
 */
export function asUser(plan: SpawnPlan, userName: string, file: string, args: readonly string[]): { file: string; args: string[] } {
  return asCredentials(plan.credentials, userName, file, args)
}

/**
 * {@link asUser} for credentials alone: `file args` unchanged when `credentials` is undefined,
 * else wrapped in setpriv with the user's groups.
 *
 * @throws Error when a change of user is needed and setpriv is not installed.
 */
export function asCredentials(credentials: { readonly uid: number; readonly gid: number } | undefined, userName: string, file: string, args: readonly string[]): { file: string; args: string[] } {
  if (!credentials) return { file, args: [...args] }
  if (!existsSync(SETPRIV)) {
    throw new Error(`acting as ${userName} needs ${SETPRIV} (Debian package util-linux)`)
  }
  const { uid, gid } = credentials
  return { file: SETPRIV, args: [`--reuid=${uid}`, `--regid=${gid}`, '--init-groups', '--', file, ...args] }
}
