import { ChannelDuplex, type RawChannel } from './channel-duplex.js'
import { ChannelSocket } from './channel-socket.js'
import { ConnectionLostError, SSHError } from './errors.js'
import { peerSentEof } from './internal/protocol-internals.js'
import type { TransportEndView } from './internal/transport-end.js'

/** Socket-address details reported by {@link Channel.asSocket}. @internal */
export interface ChannelAddressInfo {
  remoteAddress?: string | undefined
  remotePort?: number | undefined
  localAddress?: string | undefined
  localPort?: number | undefined
}

/**
 * An SSH channel as a Node Duplex (the readable side is what the peer sends, the writable side
 * what we send); paramiko's `Channel`. `direct-tcpip`, `direct-streamlocal@openssh.com` and
 * `forwarded-tcpip` channels are plain Channels; a session channel is a {@link SessionChannel},
 * which adds the session requests (exec, shell, pty, signals, exit status, stderr).
 *
 * When the Transport fails before the peer's EOF, the stream fails with ConnectionLostError
 * rather than ending as if it were complete.
 *
 * @example
 * ```ts
 * const ch = await t.openChannel('direct-tcpip', { dest: ['db.internal', 5432] })
 * const sock = ch.asSocket()
 * ```
 */
export class Channel extends ChannelDuplex {
  /** The channel type, e.g. 'session' or 'direct-tcpip'. */
  readonly kind: string
  readonly #address: ChannelAddressInfo

  /** Creates a channel; use `Transport.openChannel()` instead. @internal */
  constructor(kind: string, raw: RawChannel | undefined, address: ChannelAddressInfo = {}, transportEnd?: TransportEndView) {
    super({}, transportEnd)
    this.kind = kind
    this.#address = address
    if (raw) this.attachChannel(raw)
  }

  /** Moves this open channel into a {@link ChannelSocket}; this Channel is left ended. */
  asSocket(): ChannelSocket {
    if (!this.inner) throw new SSHError('the channel is not open yet: start a request first')
    return ChannelSocket.fromChannel(this, this.#address)
  }

  /** Attaches the opened raw channel and watches the Transport's end for it. @internal */
  protected attachChannel(raw: RawChannel): void {
    // A connection that fails before the server's EOF cuts the output short, even after a
    // session's exit status arrived (OpenSSH sends it as soon as the command exits, ahead of
    // output still waiting in its buffers): fail the stream instead of ending it as if complete.
    const watch = this.transportEnd?.onEnd((cause) => {
      if (!cause || peerSentEof(raw) || this.destroyed) return
      const cut = (): void => {
        if (!this.destroyed && !peerSentEof(raw)) this.destroy(new ConnectionLostError('the SSH connection failed before the command\'s output ended', { cause }))
      }
      // The end comes synchronously from the transport's failure, possibly between a caller's
      // `await` and its first listener (`await ch.exec(…); for await (… of ch)`): an 'error'
      // nobody can hear yet would be an uncaught exception. Deliver it now to a listener, else
      // on the next turn, when the caller's continuation has attached one.
      if (this.listenerCount('error') > 0) cut()
      else setImmediate(cut)
    })
    raw.once('close', () => watch?.[Symbol.dispose]())
    this.attach(raw)
  }
}
