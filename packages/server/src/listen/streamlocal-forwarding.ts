/**
 * The Unix-socket forwardings of one connection (OpenSSH PROTOCOL §2.4): direct-streamlocal
 * channels relayed to a connection made to a path (`ssh -L local.sock:/remote.sock`), and
 * streamlocal-forward listeners whose connections become forwarded-streamlocal channels
 * (`ssh -R /remote.sock:…`). Sockets are made as the login's account; a cancel removes the
 * listener's socket file, and the connection's end closes everything and removes every socket
 * file it made.
 */
import type { Server, Socket } from 'node:net'
import type { ServerChannel, Transport } from '@x/transport'
import type { SessionUser } from '../process/user.js'
import { relay } from './forwarding.js'
import { bindUnixSocketAs, connectUnixSocketAs, unlinkUnixSocketAs, UnixSocketError, type SocketFileId } from './unix-socket-as.js'

/** A listener made for a streamlocal-forward. */
interface Listener {
  readonly server: Server
  readonly id: SocketFileId
  readonly user: SessionUser
}

/** How listeners are bound: sshd's StreamLocalBindMask and StreamLocalBindUnlink. @internal */
export interface BindSettings {
  readonly mask: number
  readonly unlinkFirst: boolean
}

/** The connection's streamlocal state. @internal */
export class StreamLocalForwardings {
  readonly #listeners = new Map<string, Listener>()
  readonly #sockets = new Set<Socket>()
  /** Connections made for allowed opens, per path, waiting for their channel (delivered in the same order). */
  readonly #pending = new Map<string, Socket[]>()
  /** Aborts connects still running when the connection ends. */
  readonly #abort = new AbortController()
  /** Listens still running (see {@link listen}). */
  readonly #listening = new Set<Promise<unknown>>()
  #closing: Promise<void> | undefined

  /**
   * Connects to `path` as `user` for a direct-streamlocal open about to be confirmed; the
   * channel delivered next for `path` is relayed to it by {@link relayChannel}.
   * @throws UnixSocketError when the connect fails (the open is then refused).
   */
  async prepare(path: string, user: SessionUser): Promise<void> {
    const sock = await connectUnixSocketAs(path, { user, signal: this.#abort.signal })
    if (this.#closing) return void sock.destroy()
    this.#track(sock)
    const queue = this.#pending.get(path) ?? []
    queue.push(sock)
    this.#pending.set(path, queue)
  }

  /** Relays a delivered direct-streamlocal channel to the connection {@link prepare} made; destroys it when there is none. */
  relayChannel(channel: ServerChannel, path: string): void {
    const queue = this.#pending.get(path)
    const sock = queue?.shift()
    if (queue?.length === 0) this.#pending.delete(path)
    if (!sock || sock.destroyed) return void channel.destroy()
    relay(channel, sock)
    channel.once('close', () => sock.destroy())
  }

  /**
   * Listens on `path` as `user` and relays each connection over a forwarded-streamlocal channel.
   * @throws UnixSocketError when the bind fails (EADDRINUSE when a file is there, EACCES, …).
   */
  listen(transport: Transport<'server'>, path: string, user: SessionUser, bind: BindSettings): Promise<void> {
    // Tracked until it settles, and not aborted by the end (a helper killed right after its bind
    // would leave the file behind): the end waits for it (it is bounded) and so removes what it made.
    const op = this.#listen(transport, path, user, bind)
    this.#listening.add(op)
    return op.finally(() => this.#listening.delete(op))
  }

  async #listen(transport: Transport<'server'>, path: string, user: SessionUser, bind: BindSettings): Promise<void> {
    if (this.#listeners.has(path)) throw new UnixSocketError('EADDRINUSE', path)
    const { server, id } = await bindUnixSocketAs(path, bind.mask, bind.unlinkFirst, { user })
    if (this.#closing) return this.#remove(path, { server, id, user })
    server.on('connection', (sock) => {
      this.#track(sock)
      // The socket is not read until the channel is open: a slow client holds the peer back.
      transport.openForwardedStreamlocalChannel(path).then(
        (channel) => relay(channel, sock),
        () => sock.destroy(),
      )
    })
    server.on('error', () => undefined)
    this.#listeners.set(path, { server, id, user })
  }

  /** Stops listening on `path` and removes its socket file (cancel-streamlocal-forward); false when there was no listener. */
  async cancel(path: string): Promise<boolean> {
    const l = this.#listeners.get(path)
    if (!l) return false
    this.#listeners.delete(path)
    await this.#remove(path, l)
    return true
  }

  /** How many listeners are open. */
  get listenerCount(): number {
    return this.#listeners.size
  }

  #track(sock: Socket): void {
    // A peer that shuts down its writing half still gets the answer (the SSH channel relays EOF
    // alone, RFC 4254 §5.3); sockets handed over by a helper come without this option.
    sock.allowHalfOpen = true
    this.#sockets.add(sock)
    sock.once('close', () => this.#sockets.delete(sock))
    sock.on('error', () => sock.destroy())
  }

  async #remove(path: string, l: Listener): Promise<void> {
    // close() stops listening at once (its callback would wait for the relayed connections,
    // which go on). A listener handed over from a helper closes without unlinking: the path is
    // removed here, as its owner, and only if it is still the socket the bind made.
    l.server.close()
    await unlinkUnixSocketAs(path, l.id, { user: l.user }).catch(() => undefined)
  }

  /** Closes every listener and relayed connection, and removes every socket file made; idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#abort.abort()
      const listeners = [...this.#listeners]
      this.#listeners.clear()
      for (const s of this.#sockets) s.destroy()
      this.#sockets.clear()
      this.#pending.clear()
      await Promise.all([...listeners.map(([path, l]) => this.#remove(path, l)), ...[...this.#listening].map((b) => b.catch(() => undefined))])
    })()
    return this.#closing
  }
}
