/**
 * The server role of a Transport (paramiko's `Transport` after `start_server`): host keys,
 * authentication driven by a {@link ServerInterface}, the channel queue behind `accept()`, and
 * the channels a server opens towards its client. The public face is `Transport`.
 */
import type { EventEmitter } from 'node:events'
import type { Duplex } from 'node:stream'
import { Channel } from '../channel.js'
import type { RawChannel } from '../channel-duplex.js'
import { AuthenticationError, ConnectionLostError, SSHError, TimeoutError } from '../errors.js'
import { ssh2KeyOf } from '../keys/internal.js'
import type { PrivateKey } from '../keys/private-key.js'
import { startServerAdapter } from '../internal/server-adapter.js'
import type { ServerProtocol } from '../internal/server-protocol.js'
import { translateChannelOpenError, translateTransportError } from '../internal/translate-error.js'
import type { TransportEnd } from '../internal/transport-end.js'
import type { NegotiatedAlgorithms, TransportEvents } from '../transport-types.js'
import { ServerAuth } from './server-auth.js'
import type { ServerChannel } from './server-channel.js'
import { ServerDispatch, type SubsystemHandler } from './server-dispatch.js'
import type { ServerInterface } from './server-interface.js'
import type { ResolvedServerOptions } from './server-options.js'

/** Host keys and subsystem handlers, gathered before the role is chosen. @internal */
export class ServerSetup {
  readonly keys: PrivateKey[] = []
  readonly subsystems = new Map<string, SubsystemHandler>()

  /** Adds `key`, replacing one of the same type. */
  addKey(key: PrivateKey): void {
    ssh2KeyOf(key) // refuses a key the protocol library cannot use, now rather than at start
    const i = this.keys.findIndex((k) => k.type === key.type)
    if (i >= 0) this.keys[i] = key
    else this.keys.push(key)
  }
}

/** One server-role session over one stream. @internal */
export class ServerSession {
  readonly end: TransportEnd
  readonly #sock: Duplex
  readonly #options: ResolvedServerOptions
  readonly #setup: ServerSetup
  readonly #events: EventEmitter<TransportEvents>
  readonly #abort = new AbortController()
  readonly #queue: ServerChannel[] = []
  readonly #waiters = new Set<(ch: ServerChannel | null) => void>()
  #protocol: ServerProtocol | undefined
  #auth: ServerAuth | undefined
  #grace: NodeJS.Timeout | undefined
  #closing = false
  negotiated: NegotiatedAlgorithms | undefined
  clientVersion = ''
  authenticated = false

  /** `end` is the Transport's one end, shared by both roles (only one of them ever starts). */
  constructor(sock: Duplex, options: ResolvedServerOptions, setup: ServerSetup, events: EventEmitter<TransportEvents>, end: TransportEnd) {
    this.end = end
    this.#sock = sock
    this.#options = options
    this.#setup = setup
    this.#events = events
  }

  /** The user that authenticated (or is authenticating). */
  get username(): string | undefined {
    return this.#auth?.username
  }

  /** Publickey attempts with a forged signature, refused before any handler saw them. */
  get forgedSignatures(): number {
    return this.#auth?.forged ?? 0
  }

  /** The stream the role runs over. */
  get sock(): Duplex {
    return this.#sock
  }

  /** The host key of the last key exchange. */
  serverKey(): PrivateKey | undefined {
    const algo = this.negotiated?.hostKey
    if (!algo) return undefined
    const type = algo.startsWith('rsa-sha2-') ? 'ssh-rsa' : algo
    return this.#setup.keys.find((k) => k.type === type)
  }

  /** See Transport.startServer. */
  start(server: ServerInterface, signal: AbortSignal | undefined): Promise<void> {
    const o = this.#options
    const auth = new ServerAuth(server, o.maxAuthTries, () => this.clientVersion, this.#abort.signal, () => {
      this.fail(new AuthenticationError(`too many authentication failures (${o.maxAuthTries})`, { username: '', triedMethods: [], allowedTypes: [] }))
    })
    this.#auth = auth
    const dispatch = new ServerDispatch(server, this.end, this.#setup.subsystems, (ch) => this.#deliver(ch))
    return new Promise<void>((resolve, reject) => {
      const stop = (): void => this.fail(signal?.reason as SSHError)
      signal?.addEventListener('abort', stop, { once: true })
      const settle = this.end.onEnd((cause) => reject(cause ?? new ConnectionLostError('the transport closed during the handshake')))
      this.#grace = setTimeout(() => this.fail(new TimeoutError(`authentication did not finish within ${o.loginGraceMs} ms`, { phase: 'auth', timeoutMs: o.loginGraceMs })), o.loginGraceMs)
      this.#protocol = startServerAdapter(this.#sock, {
        hostKeys: this.#setup.keys.map((k) => ssh2KeyOf(k)),
        algorithms: { kex: o.kex },
        ident: o.serverVersion,
        banner: o.banner,
        keepalive: o.keepalive,
      }, {
        ...dispatch.hooks(),
        onClientVersion: (v) => { this.clientVersion = v },
        onHandshake: (info) => {
          const first = this.negotiated === undefined
          this.negotiated = info
          if (first) {
            signal?.removeEventListener('abort', stop)
            settle[Symbol.dispose]()
            resolve()
          } else this.#events.emit('rekey', info)
        },
        onAuthRequest: (request) => void auth.handle(request),
        onAuthenticated: () => {
          clearTimeout(this.#grace)
          this.authenticated = true
          this.#events.emit('authenticated', auth.username ?? '')
        },
        onFatal: (raw) => this.fail(translateTransportError(raw, this.negotiated ? 'auth' : 'handshake', this.peer())),
        // The stream closed: our close() finishing, or the client going (as the client role does, that says why).
        onClose: () => this.#gone(),
      })
    })
  }

  /** See Transport.accept. */
  accept(signal: AbortSignal | undefined, timeoutMs: number | undefined): Promise<ServerChannel | null> {
    signal?.throwIfAborted()
    const next = this.#queue.shift()
    if (next || this.end.ended) return Promise.resolve(next ?? null)
    return new Promise((resolve, reject) => {
      const done = (ch: ServerChannel | null): void => {
        this.#waiters.delete(done)
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        resolve(ch)
      }
      const onAbort = (): void => {
        this.#waiters.delete(done)
        clearTimeout(timer)
        reject(signal?.reason)
      }
      const timer = timeoutMs !== undefined ? setTimeout(() => done(null), timeoutMs) : undefined
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#waiters.add(done)
    })
  }

  /** Opens a channel of `kind` towards the client (forwarded-tcpip, x11, agent, …). */
  open(kind: string, start: (p: ServerProtocol, cb: (err: Error | undefined, ch: RawChannel) => void) => void, address: { remoteAddress?: string; remotePort?: number }): Promise<Channel> {
    const p = this.requireProtocol()
    return new Promise((resolve, reject) => {
      start(p, (err, raw) => (err ? reject(translateChannelOpenError(err, `a ${kind} channel`)) : resolve(new Channel(kind, raw, address, this.end))))
    })
  }

  /** See Transport.renegotiateKeys. */
  rekey(): Promise<void> {
    const p = this.requireProtocol()
    return new Promise((resolve, reject) => {
      const done = this.end.onEnd((cause) => reject(cause ?? new ConnectionLostError('the transport closed during the key re-exchange')))
      this.#events.once('rekey', () => { done[Symbol.dispose](); resolve() })
      p.rekey()
    })
  }

  /** The running protocol, or ConnectionLostError. */
  requireProtocol(): ServerProtocol {
    if (!this.#protocol || this.end.ended) throw new ConnectionLostError('the transport is not running')
    return this.#protocol
  }

  /** The client's address and port, as the socket or `server.remoteAddress` gives them. */
  peer(): { host: string; port: number } {
    const s = this.#sock as Duplex & { remoteAddress?: string; remotePort?: number }
    return { host: this.#options.remoteAddress?.address ?? s.remoteAddress ?? 'client', port: this.#options.remoteAddress?.port ?? s.remotePort ?? 0 }
  }

  /** Sends SSH_MSG_DISCONNECT and waits for the peer to go, up to closeGraceMs. */
  async close(): Promise<void> {
    this.#closing = true
    if (!this.end.ended) this.#protocol?.end()
    const timer = setTimeout(() => this.fail(undefined, true), this.#options.closeGraceMs)
    await this.end.wait()
    clearTimeout(timer)
  }

  /** Ends the role with `cause`; `now` also destroys the stream. */
  fail(cause: SSHError | undefined, now = true): void {
    if (this.end.ended) return
    if (!now && cause === undefined) return // close(): onClose, bounded by close()'s timer
    clearTimeout(this.#grace)
    this.#abort.abort(cause ?? new ConnectionLostError('the transport closed'))
    if (cause && !this.#closing) this.#protocol?.end()
    this.#sock.destroy()
    for (const w of [...this.#waiters]) w(null)
    this.end.end(cause)
    this.#events.emit('close', cause)
  }

  #gone(): void {
    if (this.end.ended) return
    const cause = this.#closing ? undefined : new ConnectionLostError(`the client at ${this.peer().host} closed the connection`)
    this.#closing = true // nothing more is sent on a closed stream
    this.fail(cause, true)
  }

  #deliver(ch: ServerChannel): void {
    const waiter = this.#waiters.values().next().value
    if (waiter) waiter(ch)
    else this.#queue.push(ch)
  }
}
