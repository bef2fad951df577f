import { EventEmitter } from 'node:events'
import type { Duplex } from 'node:stream'
import { Channel } from '../channel.js'
import type { RawChannel } from '../channel-duplex.js'
import { AuthenticationError, ConnectionLostError, SSHError, TimeoutError } from '../errors.js'
import { ssh2KeyOf } from '../keys/internal.js'
import type { PrivateKey } from '../keys/private-key.js'
import { startServerAdapter } from '../internal/server-adapter.js'
import type { ServerProtocol } from '../internal/server-protocol.js'
import { translateChannelOpenError, translateTransportError } from '../internal/translate-error.js'
import { TransportEnd } from '../internal/transport-end.js'
import type { NegotiatedAlgorithms, SignalOption } from '../transport-types.js'
import { ServerAuth } from './server-auth.js'
import type { ServerChannel } from './server-channel.js'
import { ServerDispatch, type SubsystemHandler } from './server-dispatch.js'
import type { ServerInterface } from './server-interface.js'
import { resolveServerOptions, type ResolvedServerOptions, type ServerTransportOptions } from './server-options.js'

/** Typed events of a {@link ServerTransport}; there is never an 'error' event. */
export interface ServerTransportEvents {
  /** The client authenticated as `username`. */
  authenticated: [username: string]
  /** A key re-exchange completed. */
  rekey: [negotiated: NegotiatedAlgorithms]
  /** The transport closed; `error` says why unless we closed it. */
  close: [error?: SSHError]
}

/**
 * Runs the server half of one SSH session over one byte stream (a TCP socket, a process's
 * stdio, a channel of another transport): paramiko's `Transport` after `start_server`. Host keys
 * first, then {@link startServer} with a {@link ServerInterface}; channels arrive through
 * {@link accept}. Publickey signatures are verified here, group-exchange kex is never offered,
 * strict kex is on, a login grace timer and an auth-attempt cap are always armed.
 *
 * @example
 * ```ts
 * await using t = new ServerTransport(socket)
 * t.addServerKey(await loadPrivateKey('/etc/x/host_ed25519'))
 * await t.startServer({ checkAuthPublicKey: (ctx, key) => (allowed(ctx.username, key) ? 'success' : 'failure'),
 *   checkChannelRequest: () => true, checkExecRequest: () => true })
 * const ch = await t.accept()
 * ch?.write(`you ran ${ch.command}\n`); ch?.exit(0)
 * ```
 */
export class ServerTransport extends EventEmitter<ServerTransportEvents> {
  readonly #sock: Duplex
  readonly #options: ResolvedServerOptions
  readonly #keys: PrivateKey[] = []
  readonly #subsystems = new Map<string, SubsystemHandler>()
  readonly #end = new TransportEnd()
  readonly #abort = new AbortController()
  readonly #queue: ServerChannel[] = []
  readonly #waiters = new Set<(ch: ServerChannel | null) => void>()
  #protocol: ServerProtocol | undefined
  #negotiated: NegotiatedAlgorithms | undefined
  #auth: ServerAuth | undefined
  #clientVersion = ''
  #grace: NodeJS.Timeout | undefined

  /** Creates the server role over a connected stream; nothing is sent until {@link startServer}. */
  constructor(sock: Duplex, options: ServerTransportOptions = {}) {
    super()
    if (!sock || typeof sock.pipe !== 'function') throw new TypeError('sock must be a Duplex stream')
    this.#sock = sock
    this.#options = resolveServerOptions(options)
  }

  /** Adds a host key (ed25519, ecdsa, rsa — the last offered as rsa-sha2-512/256); one per type. paramiko's `add_server_key`. */
  addServerKey(key: PrivateKey): void {
    if (this.#protocol) throw new SSHError('addServerKey must come before startServer')
    const parsed = ssh2KeyOf(key)
    const i = this.#keys.findIndex((k) => k.type === key.type)
    if (i >= 0) this.#keys[i] = key
    else this.#keys.push(key)
    void parsed
  }

  /** The host key the last key exchange used, or undefined before one. paramiko's `get_server_key`. */
  getServerKey(): PrivateKey | undefined {
    const algo = this.#negotiated?.hostKey
    if (!algo) return undefined
    const type = algo.startsWith('rsa-sha2-') ? 'ssh-rsa' : algo
    return this.#keys.find((k) => k.type === type)
  }

  /** Always false: group-exchange kex cannot be served by the protocol library, so it is never offered. paramiko's `load_server_moduli`. */
  loadServerModuli(): false {
    return false
  }

  /** Serves subsystem `name` (e.g. 'sftp') with `handler`; the channel ends when it settles. paramiko's `set_subsystem_handler`. */
  setSubsystemHandler(name: string, handler: SubsystemHandler): void {
    if (typeof name !== 'string' || name === '') throw new TypeError('name must be a non-empty string')
    if (typeof handler !== 'function') throw new TypeError('handler must be a function')
    this.#subsystems.set(name, handler)
  }

  /** The algorithms of the last key exchange. */
  get negotiated(): NegotiatedAlgorithms | undefined {
    return this.#negotiated
  }

  /** The user that authenticated. */
  get username(): string | undefined {
    return this.#auth?.username
  }

  /** The client's version line. */
  get remoteVersion(): string {
    return this.#clientVersion
  }

  /** How many publickey attempts with a forged signature were refused (never shown to a handler). */
  get forgedSignatures(): number {
    return this.#auth?.forged ?? 0
  }

  /**
   * Starts the server role: version and key exchange, then authentication driven by `server`.
   * Resolves when the first key exchange is done. paramiko's `start_server`.
   * @throws HandshakeError when the version or key exchange fails (e.g. no common kex).
   * @throws ConnectionLostError when the stream closes first.
   */
  startServer(server: ServerInterface, options: SignalOption = {}): Promise<void> {
    options.signal?.throwIfAborted()
    if (this.#protocol) throw new SSHError('startServer was already called')
    if (this.#keys.length === 0) throw new SSHError('startServer needs a host key: call addServerKey first')
    const auth = new ServerAuth(server, this.#options.maxAuthTries, () => this.#clientVersion, this.#abort.signal, () => {
      this.#fail(new AuthenticationError(`too many authentication failures (${this.#options.maxAuthTries})`, { username: '', triedMethods: [], allowedTypes: [] }))
    })
    this.#auth = auth
    const dispatch = new ServerDispatch(server, this.#end, this.#subsystems, (ch) => this.#deliver(ch))
    const o = this.#options
    return new Promise<void>((resolve, reject) => {
      const stop = (): void => this.#fail(options.signal?.reason as SSHError)
      options.signal?.addEventListener('abort', stop, { once: true })
      const settle = this.#end.onEnd((cause) => reject(cause ?? new ConnectionLostError('the transport closed during the handshake')))
      this.#grace = setTimeout(() => this.#fail(new TimeoutError(`authentication did not finish within ${o.loginGraceMs} ms`, { phase: 'auth', timeoutMs: o.loginGraceMs })), o.loginGraceMs)
      this.#protocol = startServerAdapter(this.#sock, {
        hostKeys: this.#keys.map((k) => ssh2KeyOf(k)),
        algorithms: { kex: o.kex },
        ident: o.serverVersion,
        banner: o.banner,
        keepalive: o.keepalive,
      }, {
        ...dispatch.hooks(),
        onClientVersion: (v) => { this.#clientVersion = v },
        onHandshake: (info) => {
          const first = this.#negotiated === undefined
          this.#negotiated = info
          if (first) {
            options.signal?.removeEventListener('abort', stop)
            settle[Symbol.dispose]()
            resolve()
          } else this.emit('rekey', info)
        },
        onAuthRequest: (request) => void auth.handle(request),
        onAuthenticated: () => {
          clearTimeout(this.#grace)
          this.emit('authenticated', auth.username ?? '')
        },
        onFatal: (raw) => this.#fail(translateTransportError(raw, this.#negotiated ? 'auth' : 'handshake', this.#peer())),
        onClose: () => this.#fail(undefined, true),
      })
    })
  }

  /**
   * Resolves with the next channel: a session once shell/exec (or a subsystem without a
   * handler) started — with `pty`, `env` and `command` known — or a direct-tcpip /
   * direct-streamlocal channel once allowed; null on timeout or close. paramiko's `accept`.
   */
  accept(options: SignalOption & { timeoutMs?: number | undefined } = {}): Promise<ServerChannel | null> {
    options.signal?.throwIfAborted()
    const next = this.#queue.shift()
    if (next || this.#end.ended) return Promise.resolve(next ?? null)
    return new Promise((resolve, reject) => {
      const done = (ch: ServerChannel | null): void => {
        this.#waiters.delete(done)
        clearTimeout(timer)
        options.signal?.removeEventListener('abort', onAbort)
        resolve(ch)
      }
      const onAbort = (): void => {
        this.#waiters.delete(done)
        clearTimeout(timer)
        reject(options.signal?.reason)
      }
      const timer = options.timeoutMs !== undefined ? setTimeout(() => done(null), options.timeoutMs) : undefined
      options.signal?.addEventListener('abort', onAbort, { once: true })
      this.#waiters.add(done)
    })
  }

  /**
   * Opens a forwarded-tcpip channel to the client for a connection that arrived on the
   * listener `bound` (RFC 4254 §7.2); paramiko's `open_forwarded_tcpip_channel`.
   * @throws ChannelOpenError when the client refuses.
   */
  openForwardedTcpipChannel(bound: readonly [string, number], origin: readonly [string, number]): Promise<Channel> {
    return this.#open('forwarded-tcpip', (cb) => this.#requireProtocol().openForwardedTcpip(bound, origin, cb), { remoteAddress: origin[0], remotePort: origin[1] })
  }

  /** Opens a forwarded-streamlocal@openssh.com channel for a listener on `socketPath`. */
  openForwardedStreamlocalChannel(socketPath: string): Promise<Channel> {
    return this.#open('forwarded-streamlocal@openssh.com', (cb) => this.#requireProtocol().openForwardedStreamLocal(socketPath, cb), {})
  }

  /** Opens an x11 channel (RFC 4254 §6.3.2); paramiko's `open_x11_channel`. */
  openX11Channel(origin: readonly [string, number]): Promise<Channel> {
    return this.#open('x11', (cb) => this.#requireProtocol().openX11(origin, cb), { remoteAddress: origin[0], remotePort: origin[1] })
  }

  /**
   * Opens an auth-agent@openssh.com channel to the client's agent: an agent protocol stream
   * (draft-miller-ssh-agent) for a session whose {@link ServerChannel.agentForwarding} is set.
   * paramiko's `open_forward_agent_channel`. OpenSSH refuses it unless run with `-A`.
   * @throws ChannelOpenError when the client refuses.
   * @throws ConnectionLostError when the transport is not running.
   */
  openForwardAgentChannel(): Promise<Channel> {
    return this.#open('auth-agent@openssh.com', (cb) => this.#requireProtocol().openAgent(cb), {})
  }

  /** Runs a new key exchange and resolves when it completes; paramiko's `renegotiate_keys`. */
  renegotiateKeys(): Promise<void> {
    const p = this.#requireProtocol()
    return new Promise((resolve, reject) => {
      const done = this.#end.onEnd((cause) => reject(cause ?? new ConnectionLostError('the transport closed during the key re-exchange')))
      this.once('rekey', () => { done[Symbol.dispose](); resolve() })
      p.rekey()
    })
  }

  /** Sends SSH_MSG_IGNORE with `byteCount` zero bytes (RFC 4253 §11.2). */
  sendIgnore(byteCount = 16): void {
    this.#requireProtocol().sendIgnore(Buffer.alloc(byteCount))
  }

  /** Resolves when the transport ended: undefined when closed by us, else why. Never rejects. */
  wait(): Promise<SSHError | undefined> {
    return this.#end.wait()
  }

  /** Sends SSH_MSG_DISCONNECT and ends the stream; idempotent. */
  async close(): Promise<void> {
    if (!this.#end.ended) this.#protocol?.end()
    const timer = setTimeout(() => this.#fail(undefined, true), 2_000)
    this.#fail(undefined, false)
    await this.#end.wait()
    clearTimeout(timer)
  }

  /** Closes at once; `error` becomes the reason. */
  destroy(error?: SSHError): void {
    this.#fail(error, true)
  }

  /** `await using t = new ServerTransport(…)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  #deliver(ch: ServerChannel): void {
    const waiter = this.#waiters.values().next().value
    if (waiter) waiter(ch)
    else this.#queue.push(ch)
  }

  #requireProtocol(): ServerProtocol {
    if (!this.#protocol || this.#end.ended) throw new ConnectionLostError('the transport is not running')
    return this.#protocol
  }

  #peer(): { host: string; port: number } {
    const s = this.#sock as Duplex & { remoteAddress?: string; remotePort?: number }
    return { host: this.#options.remoteAddress?.address ?? s.remoteAddress ?? 'client', port: this.#options.remoteAddress?.port ?? s.remotePort ?? 0 }
  }

  #open(kind: string, start: (cb: (err: Error | undefined, ch: RawChannel) => void) => void, address: { remoteAddress?: string; remotePort?: number }): Promise<Channel> {
    return new Promise((resolve, reject) => {
      start((err, raw) => (err ? reject(translateChannelOpenError(err, `a ${kind} channel`)) : resolve(new Channel(kind, raw, address, this.#end))))
    })
  }

  /** Ends the transport with `cause`; `now` also destroys the stream. */
  #fail(cause: SSHError | undefined, now = true): void {
    if (this.#end.ended) return
    if (!now && cause === undefined) {
      // close(): wait for the peer to go (onClose), bounded by close()'s timer.
      return
    }
    clearTimeout(this.#grace)
    this.#abort.abort(cause ?? new ConnectionLostError('the transport closed'))
    if (cause) this.#protocol?.end()
    this.#sock.destroy()
    for (const w of [...this.#waiters]) w(null)
    this.#end.end(cause)
    this.emit('close', cause)
  }
}
