/**
 * Runs one started session channel with the handler the options name for it, applying the
 * login's forced command (authorized_keys `command=`) to shell, exec and subsystem alike, as
 * sshd does.
 */
import { userInfo } from 'node:os'
import type { ServerChannel, Transport } from '@x/transport'
import { openAgentSocket } from './agent-socket.js'
import { runSession } from '../process/run-session.js'
import { lookupUser, type SessionUser } from '../process/user.js'
import type { LoginContext, ResolvedListenOptions, SessionHandler, SessionRequest } from './listen-options.js'
import { emitLog } from './server-log.js'

/** The request a started channel carries, with the forced command applied. @internal */
export function sessionRequestOf(channel: ServerChannel, login: LoginContext, transport?: Transport<'server'>): SessionRequest {
  const openAgentChannel = channel.agentForwarding && transport ? () => transport.openForwardAgentChannel() : undefined
  const kind = channel.isShell ? 'shell' : channel.command !== undefined ? 'exec' : 'subsystem'
  const forced = login.restrictions.forcedCommand
  const asked = kind === 'exec' ? channel.command : kind === 'subsystem' ? channel.subsystem : undefined
  if (forced !== undefined) return { kind, command: forced, originalCommand: asked, subsystem: undefined, login, openAgentChannel }
  return { kind, command: kind === 'exec' ? asked : undefined, originalCommand: undefined, subsystem: kind === 'subsystem' ? asked : undefined, login, openAgentChannel }
}

/** The handler for `request`, or undefined when the options refuse it. @internal */
export function handlerFor(options: ResolvedListenOptions, request: { kind: SessionRequest['kind']; subsystem: string | undefined; forced: boolean }): SessionHandler | 'process' | 'sftp' | undefined {
  if (request.forced || request.kind === 'exec') return options.exec
  if (request.kind === 'shell') return options.shell
  if (request.subsystem === 'sftp' && options.sftp) return 'sftp'
  if (request.subsystem === undefined) return undefined
  const subsystems = options.subsystems
  return typeof subsystems === 'function' ? subsystems : subsystems?.[request.subsystem]
}

/** The account a login acts as: `'process'` sessions, and the sockets of streamlocal forwarding. @internal */
export async function accountOf(options: ResolvedListenOptions, username: string): Promise<SessionUser> {
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
export async function runSessionChannel(channel: ServerChannel, login: LoginContext, options: ResolvedListenOptions, id: number, transport: Transport<'server'>): Promise<void> {
  const request = sessionRequestOf(channel, login, transport)
  const forced = login.restrictions.forcedCommand !== undefined
  const handler = handlerFor(options, { kind: request.kind, subsystem: request.subsystem, forced })
  emitLog(options.log, { event: 'session', id, kind: request.kind, command: request.kind === 'subsystem' && !forced ? request.subsystem : request.command, forced })
  try {
    if (handler === undefined) return finish(channel, 1)
    if (handler === 'sftp') {
      // sftp-server exits 0 under sshd; scp (SFTP mode) fails without an exit status.
      channel.setExitStatus(0)
      await options.sftp!(channel)
      return finish(channel, 0)
    }
    if (handler === 'process') {
      const user = await accountOf(options, login.username)
      const env = Object.fromEntries(login.restrictions.environment)
      await using agent = channel.agentForwarding ? await openAgentSocket(transport, user) : undefined
      const result = await runSession(channel, {
        agentSocket: agent?.path,
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
    channel.setExitStatus(0) // also when the handler ends the channel itself
    await handler(channel, request)
    finish(channel, 0)
  } catch (err) {
    emitLog(options.log, { event: 'handler-error', id, what: request.kind, message: err instanceof Error ? err.message : String(err) })
    if (!channel.writableEnded && !channel.destroyed) {
      channel.setExitStatus(1)
      channel.stderr.write('x-ssh: the session could not be started\r\n', () => finish(channel, 1))
    }
  }
}
