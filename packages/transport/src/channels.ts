/**
 * Opening channels over a client connection: session channels (the open is deferred to the
 * first request, see SessionChannel), direct-tcpip and direct-streamlocal@openssh.com (RFC 4254
 * §7.2, OpenSSH PROTOCOL §2.4). Every channel gets its Transport's end.
 */
import { Channel } from './channel.js'
import type { RawChannel } from './channel-duplex.js'
import type { ClientProtocol } from './internal/client-protocol.js'
import type { TrackOptions } from './internal/pending.js'
import type { TransportEndView } from './internal/transport-end.js'
import { translateRequestError } from './internal/translate-error.js'
import { SessionChannel, type SessionRequest } from './session-channel.js'

/** Tracks an operation against the transport's lifetime (PendingOps.track, bound). @internal */
export type Track = <T>(
  start: (resolve: (value: T) => void, reject: (err: unknown) => void) => ((reason: unknown) => void) | void,
  options?: TrackOptions,
) => Promise<T>

/** What opening a channel needs from its Transport. @internal */
export interface ChannelContext {
  readonly protocol: ClientProtocol
  readonly track: Track
  readonly end: TransportEndView
}

/**
 * Runs one channel-opening call and wraps the channel with `wrap` inside the library's callback:
 * ssh2 parses a whole TCP read at once, so the channel's 'exit' and 'close' can fire in the same
 * tick as the open, before any promise continuation could attach listeners. A channel that
 * arrives after the caller gave up (abort, timeout, close) is closed at once rather than leaked.
 * @internal
 */
export function openRaw<T, R extends RawChannel, X extends unknown[]>(
  track: Track,
  what: string,
  call: (cb: (err: Error | undefined, channel: R, ...extra: X) => void) => void,
  options: TrackOptions,
  wrap: (channel: R, ...extra: X) => T,
): Promise<T> {
  return track<T>((resolve, reject) => {
    let abandoned = false
    call((err, channel, ...extra) => {
      if (abandoned) {
        if (!err) channel.destroy()
        return
      }
      if (err) return reject(translateRequestError(err, what))
      resolve(wrap(channel, ...extra))
    })
    return () => {
      abandoned = true
    }
  }, { phase: 'channel', what, ...options })
}

/** Creates a session channel whose open waits for its first request. @internal */
export function newSessionChannel(ctx: ChannelContext, timeoutMs: number): SessionChannel {
  return new SessionChannel({
    start(request, attach): Promise<void> {
      return openRaw(ctx.track, describe(request), (cb) => ctx.protocol.openSession(request, cb), { timeoutMs }, attach)
    },
  }, ctx.end)
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

/** Opens a direct-tcpip channel to `host:port` (RFC 4254 §7.2). @internal */
export function openDirectTcpip(
  ctx: ChannelContext,
  dest: readonly [string, number],
  src: readonly [string, number],
  options: TrackOptions,
): Promise<Channel> {
  const [host, port] = dest
  const address = { remoteAddress: host, remotePort: port, localAddress: src[0], localPort: src[1] }
  return openRaw(ctx.track, `a direct-tcpip channel to ${host}:${port}`, (cb) => {
    ctx.protocol.openDirectTcpip(src, dest, cb)
  }, options, (raw: RawChannel) => new Channel('direct-tcpip', raw, address, ctx.end))
}

/** Opens a direct-streamlocal@openssh.com channel to a Unix socket on the server. @internal */
export function openDirectStreamLocal(ctx: ChannelContext, socketPath: string, options: TrackOptions): Promise<Channel> {
  return openRaw(ctx.track, `a streamlocal channel to ${socketPath}`, (cb) => {
    ctx.protocol.openDirectStreamLocal(socketPath, cb)
  }, options, (raw: RawChannel) => new Channel('direct-streamlocal@openssh.com', raw, { remoteAddress: socketPath }, ctx.end))
}
