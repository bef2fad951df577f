// Test-only: adapts a session of the testbed's raw ssh2 Server to SessionChannelLike, the shape
// @x/transport's ServerChannel will have, and serves exec/shell with runSession.
import type { Connection, PseudoTtyInfo, ServerChannel, Session } from 'ssh2'
import type { RunSessionOptions, SessionChannelLike, SessionPty, SessionResult } from '../../src/index.js'
import { runSession } from '../../src/index.js'

/** What the test server does for each exec/shell request. */
export interface ServeOptions extends Omit<RunSessionOptions, 'command' | 'endpoints'> {
  /** Called with each session's outcome and its process id list is not needed: results only. */
  readonly onResult?: ((result: SessionResult) => void) | undefined
  /** Called with every adapted channel as it starts (to observe or close it). */
  readonly onChannel?: ((channel: SessionChannelLike) => void) | undefined
}

/** Accepts password-less publickey auth for anyone (the tests are about sessions), then serves sessions. */
export function serveSessions(client: Connection, options: ServeOptions): void {
  client.on('authentication', (ctx) => (ctx.method === 'publickey' ? ctx.accept() : ctx.reject(['publickey'])))
  const open = new Set<ServerChannel>()
  client.on('session', (acceptSession) => serveSession(client, acceptSession(), open, options))
  // ssh2 1.17 emits no 'close' on a server channel whose connection dies; a ServerChannel does.
  client.on('close', () => {
    for (const channel of open) channel.destroy()
  })
}

function serveSession(client: Connection, session: Session, open: Set<ServerChannel>, options: ServeOptions): void {
  const env: Record<string, string> = {}
  let pty: SessionPty | undefined
  let adapted: (ServerChannel & SessionChannelLike) | undefined
  const pending: Array<[string, unknown[]]> = []
  const emit = (event: string, ...args: unknown[]): void => {
    if (adapted) adapted.emit(event, ...args)
    else pending.push([event, args])
  }
  session.on('env', (accept, _reject, info) => {
    env[info.key] = info.val
    accept?.()
  })
  session.on('pty', (accept, _reject, info: PseudoTtyInfo & { term?: string; modes?: Record<string, number> }) => {
    pty = { term: info.term ?? '', cols: info.cols, rows: info.rows, width: info.width, height: info.height, modes: info.modes ?? {} }
    accept?.()
  })
  session.on('window-change', (accept, _reject, info) => {
    accept?.()
    emit('window-change', info.cols, info.rows, info.width, info.height)
  })
  session.on('signal', (accept, _reject, info) => {
    accept?.()
    emit('signal', info.name)
  })
  const start = (stream: ServerChannel, command: string | undefined): void => {
    adapted = adapt(stream, pty, env)
    open.add(stream)
    stream.once('close', () => open.delete(stream))
    for (const [event, args] of pending.splice(0)) adapted.emit(event, ...args)
    options.onChannel?.(adapted)
    const sock = (client as unknown as { _sock?: { remoteAddress?: string; remotePort?: number; localAddress?: string; localPort?: number } })._sock
    const endpoints = sock?.remoteAddress
      ? { remoteAddress: sock.remoteAddress, remotePort: sock.remotePort ?? 0, localAddress: sock.localAddress ?? '', localPort: sock.localPort ?? 0 }
      : undefined
    runSession(adapted, { ...options, command, endpoints }).then(
      (result) => options.onResult?.(result),
      (err: unknown) => {
        stream.stderr.write(`runSession failed: ${String(err)}\n`)
        stream.exit(255)
        stream.end()
      },
    )
  }
  session.on('exec', (accept, _reject, info) => start(accept(), info.command))
  session.on('shell', (accept) => start(accept(), undefined))
}

/** Gives an ssh2 ServerChannel the members SessionChannelLike has beyond ssh2's. */
function adapt(stream: ServerChannel, pty: SessionPty | undefined, env: Record<string, string>): ServerChannel & SessionChannelLike {
  const channel = stream as ServerChannel & SessionChannelLike
  const exit = stream.exit.bind(stream) as (...args: unknown[]) => void
  Object.assign(channel, {
    pty,
    env: { ...env },
    exit: (code: number) => exit(code),
    exitSignal: (name: string, coreDumped = false, message = '') => exit(name, coreDumped, message),
  })
  return channel
}
