/**
 * Opening channels over ssh2 1.17's Client: session requests (the open is deferred to the first
 * request, see Channel), direct-tcpip and direct-streamlocal@openssh.com (RFC 4254 §7.2, OpenSSH
 * PROTOCOL §2.4).
 */
import type { Client } from 'ssh2'
import { Channel, type SessionBackend, type SessionRequest } from './channel.js'
import type { RawChannel } from './channel-duplex.js'
import { SSHError } from './errors.js'
import { translateChannelOpenError } from './internal/translate-error.js'
import { askEnvReplies } from './internal/protocol-internals.js'
import type { TrackOptions } from './internal/pending.js'

/** Tracks an operation against the transport's lifetime (PendingOps.track, bound). @internal */
export type Track = <T>(
  start: (resolve: (value: T) => void, reject: (err: unknown) => void) => ((reason: unknown) => void) | void,
  options?: TrackOptions,
) => Promise<T>

type Ssh2Callback = (err: Error | undefined, channel: RawChannel) => void

/**
 * Runs one ssh2 channel-opening call and wraps the channel with `wrap` inside ssh2's callback:
 * ssh2 parses a whole TCP read at once, so the channel's 'exit' and 'close' can fire in the same
 * tick as the open, before any promise continuation could attach listeners. A channel that
 * arrives after the caller gave up (abort, timeout, close) is closed at once rather than leaked.
 * @internal
 */
export function openRaw<T>(
  track: Track,
  what: string,
  call: (cb: Ssh2Callback) => void,
  options: TrackOptions,
  wrap: (channel: RawChannel) => T,
): Promise<T> {
  return track<T>((resolve, reject) => {
    let abandoned = false
    call((err, channel) => {
      if (abandoned) {
        if (!err) channel.destroy()
        return
      }
      if (err) return reject(translateRequestError(err, what))
      resolve(wrap(channel))
    })
    return () => {
      abandoned = true
    }
  }, { phase: 'channel', what, ...options })
}

function translateRequestError(err: Error, what: string): SSHError {
  // A refused open carries an RFC 4254 reason; a refused request (pty, exec) does not.
  if (typeof (err as { reason?: unknown }).reason === 'number' || /no response|not connected/i.test(err.message)) {
    return translateChannelOpenError(err, what)
  }
  return new SSHError(`server refused ${what}: ${err.message}`, { cause: err })
}

/** Builds the backend a deferred session channel opens through. @internal */
export function sessionBackend(client: Client, track: Track, timeoutMs: number): SessionBackend {
  return {
    start(request: SessionRequest, attach: (channel: RawChannel) => void): Promise<void> {
      const what = describe(request)
      return openRaw(track, what, (cb) => startSession(client, request, cb as never), { timeoutMs }, attach)
    },
  }
}

function describe(request: SessionRequest): string {
  switch (request.kind) {
    case 'exec':
      return 'an exec session'
    case 'shell':
      return 'a shell session'
    case 'subsystem':
      return `the ${request.name} subsystem`
  }
}

function startSession(client: Client, request: SessionRequest, cb: (err: Error | undefined, channel: unknown) => void): void {
  const env = Object.keys(request.env).length > 0 ? request.env : undefined
  if (env) askEnvReplies(client)
  switch (request.kind) {
    case 'exec': {
      const opts: Record<string, unknown> = {}
      if (env) opts['env'] = env
      if (request.pty) opts['pty'] = ptyOf(request.pty)
      client.exec(request.command, opts, cb as never)
      return
    }
    case 'shell':
      client.shell(ptyOf(request.pty ?? {}) as never, env ? { env } : {}, cb as never)
      return
    case 'subsystem':
      client.subsys(request.name, cb as never)
      return
  }
}

function ptyOf(pty: NonNullable<Extract<SessionRequest, { kind: 'exec' }>['pty']>): Record<string, unknown> {
  return {
    term: pty.term ?? 'vt100',
    cols: pty.cols ?? 80,
    rows: pty.rows ?? 24,
    width: pty.width ?? 640,
    height: pty.height ?? 480,
    ...(pty.modes ? { modes: pty.modes } : {}),
  }
}

/** Opens a direct-tcpip channel to `host:port` (RFC 4254 §7.2). @internal */
export function openDirectTcpip(
  client: Client,
  track: Track,
  dest: readonly [string, number],
  src: readonly [string, number],
  options: TrackOptions,
): Promise<Channel> {
  const [host, port] = dest
  const address = { remoteAddress: host, remotePort: port, localAddress: src[0], localPort: src[1] }
  return openRaw(track, `a direct-tcpip channel to ${host}:${port}`, (cb) => {
    client.forwardOut(src[0], src[1], host, port, cb as never)
  }, options, (raw) => new Channel('direct-tcpip', raw, address))
}

/** Opens a direct-streamlocal@openssh.com channel to a Unix socket on the server. @internal */
export function openDirectStreamLocal(client: Client, track: Track, socketPath: string, options: TrackOptions): Promise<Channel> {
  return openRaw(track, `a streamlocal channel to ${socketPath}`, (cb) => {
    client.openssh_forwardOutStreamLocal(socketPath, cb as never)
  }, options, (raw) => new Channel('direct-streamlocal@openssh.com', raw, { remoteAddress: socketPath }))
}
