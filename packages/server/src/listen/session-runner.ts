/**
 * Runs one started session channel with the handler the options name for it, applying the
 * login's forced command (authorized_keys `command=`) to shell, exec and subsystem alike, as
 * sshd does.
 */
import { userInfo } from 'node:os'
import type { ServerChannel } from '@x/transport'
import { runSession } from '../process/run-session.js'
import { lookupUser, type SessionUser } from '../process/user.js'
import type { LoginContext, ResolvedListenOptions, SessionHandler, SessionRequest } from './listen-options.js'
import { emitLog } from './server-log.js'

/** The request a started channel carries, with the forced command applied. @internal */
export function sessionRequestOf(channel: ServerChannel, login: LoginContext): SessionRequest {
  const kind = channel.isShell ? 'shell' : channel.command !== undefined ? 'exec' : 'subsystem'
  const forced = login.restrictions.forcedCommand
  const asked = kind === 'exec' ? channel.command : kind === 'subsystem' ? channel.subsystem : undefined
  if (forced !== undefined) return { kind, command: forced, originalCommand: asked, subsystem: undefined, login }
  return { kind, command: kind === 'exec' ? asked : undefined, originalCommand: undefined, subsystem: kind === 'subsystem' ? asked : undefined, login }
}

/** The handler for `request`, or undefined when the options refuse it. @internal */
export function handlerFor(options: ResolvedListenOptions, request: { kind: SessionRequest['kind']; subsystem: string | undefined; forced: boolean }): SessionHandler | 'process' | 'sftp' | undefined {
  if (request.forced || request.kind === 'exec') return options.exec
  if (request.kind === 'shell') return options.shell
  if (request.subsystem === 'sftp' && options.sftp) return 'sftp'
  return request.subsystem !== undefined ? options.subsystems?.[request.subsystem] : undefined
}

async function accountOf(options: ResolvedListenOptions, username: string): Promise<SessionUser> {
  const runAs = options.runAs
  if (runAs === 'login') return lookupUser(username)
  if (runAs === 'self') {
    const me = userInfo()
    return { name: me.username, uid: me.uid, gid: me.gid, home: me.homedir, shell: me.shell ?? '' }
  }
  return runAs
}

function finish(channel: ServerChannel, code: number): void {
  if (!channel.writableEnded && !channel.destroyed) channel.exit(code)
}

/** Runs a started session channel to its end; never throws. @internal */
export async function runSessionChannel(channel: ServerChannel, login: LoginContext, options: ResolvedListenOptions, id: number): Promise<void> {
  const request = sessionRequestOf(channel, login)
  const forced = login.restrictions.forcedCommand !== undefined
  const handler = handlerFor(options, { kind: request.kind, subsystem: request.subsystem, forced })
  emitLog(options.log, { event: 'session', id, kind: request.kind, command: request.kind === 'subsystem' && !forced ? request.subsystem : request.command, forced })
  try {
    if (handler === undefined) return finish(channel, 1)
    if (handler === 'sftp') {
      await options.sftp!(channel)
      return finish(channel, 0)
    }
    if (handler === 'process') {
      const user = await accountOf(options, login.username)
      const env = Object.fromEntries(login.restrictions.environment)
      const result = await runSession(channel, {
        user,
        command: request.kind === 'shell' ? undefined : (request.originalCommand ?? request.command),
        forcedCommand: forced ? request.command : undefined,
        env,
        endpoints: { remoteAddress: login.remote.address, remotePort: login.remote.port, localAddress: login.local.address, localPort: login.local.port },
        signal: login.signal,
      })
      emitLog(options.log, { event: 'session-end', id, exitCode: result.exitCode, exitSignal: result.exitSignal })
      return
    }
    await handler(channel, request)
    finish(channel, 0)
  } catch (err) {
    emitLog(options.log, { event: 'handler-error', id, what: request.kind, message: err instanceof Error ? err.message : String(err) })
    if (!channel.writableEnded && !channel.destroyed) {
      channel.stderr.write('x-ssh: the session could not be started\r\n', () => finish(channel, 1))
    }
  }
}
