/**
 * Exec requests of an embedded lab host: the command runs with `/bin/sh -c` in the host's home
 * directory, as the user running the lab (this is the lab's own machine) under the lab user's
 * name, with sshd's environment and `LAB_HOST` set. Shells and ptys are not offered.
 */
import { userInfo } from 'node:os'
import { runSession, type SessionHandler, type SessionUser } from '@x/server'

/** What a session needs to know about its host. */
export interface SessionContext {
  readonly hostName: string
  readonly home: string
  readonly user: string
}

/** Returns the account sessions of `context` run as: this process's uid and gid, the lab's name and home. */
export function labAccount(context: SessionContext): SessionUser {
  const me = userInfo()
  return { name: context.user, uid: me.uid, gid: me.gid, home: context.home, shell: '/bin/sh' }
}

/** Returns the exec handler of a lab host. */
export function execHandler(context: SessionContext): SessionHandler {
  const user = labAccount(context)
  return async (channel, request) => {
    const { login } = request
    const tcp = login.remote.address !== '' && login.remote.port !== 0 // a Unix socket has no ends to tell
    await runSession(channel, {
      user,
      command: request.command,
      env: { LAB_HOST: context.hostName },
      endpoints: tcp ? { remoteAddress: login.remote.address, remotePort: login.remote.port, localAddress: login.local.address, localPort: login.local.port } : undefined,
      signal: login.signal,
    })
  }
}
