/**
 * Session channels of an embedded lab host: `exec` runs the command with `/bin/sh -c` in the
 * host's home directory (as the user running the lab: this is the lab's own machine), `env`
 * requests set variables, `sftp` starts the SFTP subsystem. No pty and no shell: refused, as a
 * server that does not offer them would.
 */
import { spawn } from 'node:child_process'
import type { Session } from 'ssh2'
import { serveSftp } from './sftp-server.js'

/** What a session needs to know about its host and its client. */
export interface SessionContext {
  readonly hostName: string
  readonly home: string
  readonly user: string
  /** sshd's SSH_CONNECTION ("client-address client-port server-address server-port"); none on a Unix socket. */
  readonly sshConnection: string | undefined
}

/** Serves the requests of one session channel. */
export function serveSession(session: Session, context: SessionContext): void {
  const env: Record<string, string> = {}
  session.on('env', (accept, _reject, info) => {
    env[info.key] = info.val
    accept?.()
  })
  session.on('pty', (_accept, reject) => reject?.())
  session.on('shell', (_accept, reject) => reject())
  session.on('sftp', (accept) => serveSftp(accept(), context.home))
  session.on('exec', (accept, _reject, info) => {
    const channel = accept()
    const child = spawn('/bin/sh', ['-c', info.command], {
      cwd: context.home,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        ...process.env,
        ...env,
        HOME: context.home,
        LOGNAME: context.user,
        ...(context.sshConnection ? { SSH_CONNECTION: context.sshConnection } : {}),
        LAB_HOST: context.hostName,
      },
    })
    channel.pipe(child.stdin).on('error', () => {})
    child.stdout.pipe(channel, { end: false })
    child.stderr.pipe(channel.stderr, { end: false })
    channel.on('close', () => child.exitCode === null && child.kill('SIGTERM'))
    child.on('error', () => channel.destroy())
    child.on('close', (code, signal) => {
      if (signal) channel.exit(signal.replace(/^SIG/, ''), false, '')
      else channel.exit(code ?? 0)
      channel.end()
    })
  })
}
