import { EventEmitter } from 'node:events'
import { connect as netConnect, Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import ssh2, { type Client } from 'ssh2'
import { AuthDriver, type InteractiveHandler } from './auth.js'
import { checkUser, interactiveAttempt, passwordAsInteractive, publicKeyAttempt } from './auth-methods.js'
import { Channel } from './channel.js'
import { openDirectStreamLocal, openDirectTcpip, sessionBackend, type Track } from './channels.js'
import {
  AuthenticationError,
  BadAuthenticationTypeError,
  ConnectionLostError,
  HandshakeError,
  HostKeyError,
  SSHError,
  type TimeoutError,
} from './errors.js'
import { RemoteForwards, type ForwardHandler } from './forwarding.js'
import { makeHostVerifier, type HostKeyCheckState } from './host-key-check.js'
import { fixedHostKey, knownHosts, type HostKeyVerifier } from './host-keys/verifiers.js'
import { PendingOps, type TrackOptions } from './internal/pending.js'
import { noteCloseCause, observeMessage, sendGlobalRequest, sendIgnore, startRekey, strictKexOf } from './internal/protocol-internals.js'
import { translateTransportError, type TransportStage } from './internal/translate-error.js'
import { Keepalive } from './keepalive.js'
import type { PrivateKey } from './keys/private-key.js'
import type { PublicKey } from './keys/public-key.js'
import { createSftpClient } from './sftp/create.js'
import type { SftpClient } from './sftp/sftp-client.js'
import { buildAlgorithms, checkAlgorithms } from './algorithms.js'
import {
  parseTarget,
  resolveTransportOptions,
  type ResolvedTransportOptions,
  type TransportOptions,
  type TransportTarget,
} from './transport-options.js'

/** Algorithms agreed in the last key exchange (client → server direction). */
export interface NegotiatedAlgorithms {
  readonly kex: string
  readonly hostKey: string
  readonly cipher: string
  readonly mac: string
  readonly compression: string
  /** Whether strict key exchange (kex-strict-*-v00@openssh.com) is in force. */
  readonly strictKex: boolean
}

/** Typed events of a {@link Transport}. There is never an 'error' event. */
export interface TransportEvents {
  /** The server's pre-authentication banner (RFC 4252 §5.4). */
  banner: [message: string]
  /** A key re-exchange completed (either side started it). */
  rekey: [negotiated: NegotiatedAlgorithms]
  /**
   * Bytes arrived from the peer; the running {@link Transport.bytesRead} and
   * {@link Transport.bytesWritten} totals. What a RekeyLimit watcher counts on.
   */
  traffic: [bytesRead: number, bytesWritten: number]
  /** The transport closed; `error` says why unless the caller closed it. */
  close: [error?: SSHError]
}

/** The `signal` every async call accepts. */
export interface SignalOption {
  readonly signal?: AbortSignal | undefined
}

/** Answer to a global request sent with `wantReply`. */
export interface GlobalRequestReply {
  readonly accepted: boolean
  readonly data: Buffer
}

type State = 'new' | 'starting' | 'auth' | 'authenticated' | 'closing' | 'closed'

/**
 * Runs one SSH session over one byte stream: negotiation, host-key check, authentication step
 * by step, channels, forwards, keepalive and re-keying; paramiko's `Transport` (client side).
 *
 * @example
 * ```ts
 * await using t = new Transport('example.com:22')
 * await t.startClient()
 * let next = await t.authNone('deploy')          // e.g. ['publickey', 'password']
 * if (next.includes('publickey')) next = await t.authPublicKey('deploy', await loadPrivateKey('~/.ssh/id_ed25519'))
 * const ch = await t.openSession(); await ch.exec('uptime')
 * ```
 */
export class Transport extends EventEmitter<TransportEvents> {
  readonly #options: ResolvedTransportOptions
  readonly #dial: { host: string; port: number } | undefined
  readonly #name: { hostname: string; port: number }
  readonly #pending = new PendingOps()
  readonly #hostKey: HostKeyCheckState = { key: undefined, error: undefined }
  readonly #auth: AuthDriver
  readonly #closed: Promise<void>
  #markClosed!: () => void
  #sock: Duplex | undefined
  #bytesRead = 0
  #client: Client | undefined
  #state: State = 'new'
  #stage: TransportStage = 'connect'
  #verifier: HostKeyVerifier | undefined
  #negotiated: NegotiatedAlgorithms | undefined
  #banner: string | undefined
  #username: string | undefined
  #fatal: SSHError | undefined
  #keepalive: Keepalive | undefined
  #keepaliveSetting: { intervalMs: number; countMax: number } | undefined
  #forwards: RemoteForwards | undefined
  #readyForAuth: (() => void) | undefined
  #closeTimer: NodeJS.Timeout | undefined
  readonly #track: Track = (start, options) => this.#pending.track(start, options)

  /**
   * Creates a transport over `target`: a connected byte stream (`sock`: a socket, a ProxyJump
   * channel, a ProxyCommand's stdio), or 'host:port' / `{ host, port }` to dial. Nothing happens
   * on the network until {@link startClient}.
   * @throws TypeError / RangeError for invalid arguments.
   */
  constructor(target: TransportTarget, options: TransportOptions = {}) {
    super()
    this.#options = resolveTransportOptions(options)
    if (typeof target === 'string' || (typeof target === 'object' && target !== null && !('pipe' in target))) {
      this.#dial = parseTarget(target as string | { host: string; port?: number | undefined })
      this.#name = { hostname: options.hostname ?? this.#dial.host, port: options.port ?? this.#dial.port }
    } else if (target && typeof (target as Duplex).pipe === 'function') {
      this.#sock = target as Duplex
      const remote = target instanceof Socket ? { host: target.remoteAddress, port: target.remotePort } : undefined
      this.#name = { hostname: options.hostname ?? remote?.host ?? 'unknown-host', port: options.port ?? remote?.port ?? 22 }
    } else {
      throw new TypeError('target must be a Duplex stream, "host:port" or { host, port }')
    }
    checkAlgorithms(this.#options.algorithms)
    this.#verifier = this.#options.hostKeyVerifier
    this.#keepaliveSetting = this.#options.keepalive
    this.#auth = new AuthDriver({
      readyForAuth: () => this.#readyForAuth?.(),
      timedOut: (err) => this.#fail(err),
      // Deferred until the 'ready' listener that reported the success (and starts keepalive) returns.
      abandon: (err) => process.nextTick(() => this.#fail(err)),
      authMs: this.#options.timeouts.authMs,
      target: this.#label(),
    })
    this.#closed = new Promise((resolve) => {
      this.#markClosed = resolve
    })
  }

  /** The server's host key, once the key exchange presented it. */
  get remoteServerKey(): PublicKey | undefined {
    return this.#hostKey.key
  }

  /** The algorithms of the last key exchange, once one completed. */
  get negotiated(): NegotiatedAlgorithms | undefined {
    return this.#negotiated
  }

  /**
   * Bytes received from the peer on the underlying stream so far, SSH framing included; Node's
   * `socket.bytesRead`. With {@link bytesWritten}, what ssh_config's RekeyLimit counts.
   */
  get bytesRead(): number {
    return this.#bytesRead
  }

  /**
   * Bytes sent to the peer on the underlying stream so far, as the stream counts them (a TCP
   * socket, a ChannelSocket and a ProxyCommandSocket do); 0 for a stream that keeps no count.
   */
  get bytesWritten(): number {
    const count = (this.#sock as { bytesWritten?: unknown } | undefined)?.bytesWritten
    return typeof count === 'number' ? count : 0
  }

  /** Whether the session is up (handshake done, not closed); paramiko's `is_active`. */
  get isActive(): boolean {
    return this.#state === 'auth' || this.#state === 'authenticated'
  }

  /** Whether authentication completed; paramiko's `is_authenticated`. */
  get isAuthenticated(): boolean {
    return this.#state === 'authenticated'
  }

  /** The user name that authenticated; paramiko's `get_username`. */
  get username(): string | undefined {
    return this.#username
  }

  /** The server's banner, if it sent one; paramiko's `get_banner`. */
  get banner(): string | undefined {
    return this.#banner
  }

  /**
   * Connects (when dialling), exchanges versions and keys, and checks the host key; paramiko's
   * `start_client`. Resolves when authentication may begin.
   * @throws ConnectError when the TCP connection fails.
   * @throws TimeoutError with phase 'connect' or 'handshake'.
   * @throws HandshakeError when the version or key exchange fails.
   * @throws HostKeyError when the host key is unknown, changed, revoked or rejected.
   */
  async startClient(options: SignalOption = {}): Promise<void> {
    const { signal } = options
    signal?.throwIfAborted()
    if (this.#state !== 'new') throw new SSHError(`startClient() was already called (state: ${this.#state})`)
    this.#state = 'starting'
    const onAbort = (): void => this.#fail(new ConnectionLostError(`connecting to ${this.#label()} was aborted`, { cause: signal!.reason }))
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      if (!this.#sock) this.#sock = await this.#connectTcp(signal)
      this.#stage = 'handshake'
      await this.#track<void>((resolve) => {
        this.#readyForAuth = resolve
        this.#startSsh(this.#sock!)
        return (reason) => this.#fail(reason instanceof SSHError ? reason : new ConnectionLostError('handshake abandoned', { cause: reason }))
      }, { signal, timeoutMs: this.#options.timeouts.handshakeMs, phase: 'handshake', what: `the SSH handshake with ${this.#label()}` })
      this.#stage = 'auth'
      this.#state = 'auth'
    } catch (err) {
      const reason = this.#fatal ?? (err instanceof SSHError ? err : new HandshakeError(`SSH handshake with ${this.#label()} failed`, { cause: err }))
      this.#fail(reason)
      if (signal?.aborted) throw signal.reason
      throw reason
    } finally {
      signal?.removeEventListener('abort', onAbort)
    }
  }

  /** Tries the 'none' method; paramiko's `auth_none`. Resolves [] if the server let us in. */
  authNone(username: string, options: SignalOption = {}): Promise<string[]> {
    return this.#attempt(() => ({ type: 'none', username: checkUser(username) }), options)
  }

  /**
   * Authenticates with a password; paramiko's `auth_password`. With `fallback` (default true)
   * and a server that allows only keyboard-interactive, answers its single prompt with the password.
   * @throws BadAuthenticationTypeError when the server does not allow password (nor the fallback).
   * @throws AuthenticationError when the password is wrong.
   */
  async authPassword(username: string, password: string, options: SignalOption & { fallback?: boolean | undefined } = {}): Promise<string[]> {
    checkUser(username)
    if (typeof password !== 'string') throw new TypeError('password must be a string')
    try {
      return await this.#attempt(() => ({ type: 'password', username, password }), options)
    } catch (err) {
      const canFallBack = options.fallback !== false && err instanceof BadAuthenticationTypeError && err.allowedTypes.includes('keyboard-interactive')
      if (!canFallBack) throw err
      return this.authInteractive(username, passwordAsInteractive(password), undefined, options)
    }
  }

  /**
   * Authenticates with a private key (a {@link PrivateKey}, a path or key text); paramiko's
   * `auth_publickey`. RSA keys sign with rsa-sha2-512/256 when the server supports them.
   * @throws KeyError when key text or a path cannot be loaded.
   * @throws AuthenticationError / BadAuthenticationTypeError as for every method.
   */
  async authPublicKey(username: string, key: PrivateKey | string | Buffer, options: SignalOption = {}): Promise<string[]> {
    checkUser(username)
    const attempt = await publicKeyAttempt(username, key)
    return this.#attempt(() => attempt, options)
  }

  /**
   * Authenticates by keyboard-interactive (RFC 4256); paramiko's `auth_interactive`. `handler`
   * answers each round; no timer runs while it is pending. Rounds without prompts are answered
   * without calling the handler, and the submethods field goes out empty (a limit of the
   * protocol library underneath), so `submethods` is validated but not sent.
   */
  authInteractive(username: string, handler: InteractiveHandler, submethods?: string, options: SignalOption = {}): Promise<string[]> {
    if (submethods !== undefined && typeof submethods !== 'string') throw new TypeError('submethods must be a string')
    return this.#attempt(() => interactiveAttempt(checkUser(username), handler, this.#auth), options)
  }

  /**
   * Authenticates with the keys of an SSH agent (`agentPath`, default `$SSH_AUTH_SOCK`), one
   * key after another until one is accepted.
   * @throws AuthenticationError when no agent is reachable or no key is accepted.
   */
  authAgent(username: string, agentPath: string | undefined = process.env['SSH_AUTH_SOCK'], options: SignalOption = {}): Promise<string[]> {
    checkUser(username)
    if (!agentPath) {
      return Promise.reject(
        new AuthenticationError(`no SSH agent for ${username}@${this.#label()}: SSH_AUTH_SOCK is not set`, {
          username,
          triedMethods: [],
          allowedTypes: [],
        }),
      )
    }
    return this.#attempt(() => ({ type: 'agent', username, agent: agentPath }), options)
  }

  /**
   * Starts the client (if needed), checks `hostKey` when given, and authenticates with the key
   * and/or password, following a partial success from key to password; paramiko's `connect`.
   * @throws AuthenticationError when the server still wants more methods.
   */
  async connect(options: SignalOption & {
    username: string
    password?: string | undefined
    privateKey?: PrivateKey | string | Buffer | undefined
    hostKey?: PublicKey | string | undefined
  }): Promise<void> {
    const { username, password, privateKey, hostKey, signal } = options
    checkUser(username)
    if (hostKey !== undefined && this.#state === 'new') this.#verifier = fixedHostKey(hostKey)
    if (this.#state === 'new') await this.startClient({ signal })
    if (hostKey !== undefined && this.#hostKey.key) {
      const ok = await fixedHostKey(hostKey)(this.#hostKey.key, this.#name).catch(() => false)
      if (!ok) {
        const err = new HostKeyError(`host key of ${this.#label()} is not the expected one`, {
          reason: 'rejected',
          host: this.#name.hostname,
          port: this.#name.port,
          fingerprint: this.#hostKey.key.fingerprint,
        })
        this.#fail(err)
        throw err
      }
    }
    if (this.isAuthenticated) return
    let next: string[]
    if (privateKey !== undefined) {
      next = await this.authPublicKey(username, privateKey, { signal })
      if (next.length > 0 && password !== undefined) next = await this.authPassword(username, password, { signal })
    } else if (password !== undefined) {
      next = await this.authPassword(username, password, { signal })
    } else {
      next = await this.authNone(username, { signal })
    }
    if (next.length > 0) {
      throw new AuthenticationError(`${username}@${this.#label()} needs more authentication: ${next.join(',')}`, {
        username,
        triedMethods: this.#auth.tried,
        allowedTypes: next,
      })
    }
  }

  /**
   * Returns a session channel; paramiko's `open_session`. The channel opens with its first
   * request (exec, shell, subsystem) — see {@link Channel}.
   */
  async openSession(options: SignalOption = {}): Promise<Channel> {
    options.signal?.throwIfAborted()
    const client = this.#requireAuthenticated()
    return new Channel('session', sessionBackend(client, this.#track, this.#options.timeouts.channelMs))
  }

  /**
   * Opens a channel of `kind`; paramiko's `open_channel`. `dest`/`src` are [host, port] tuples
   * (src defaults to ['127.0.0.1', 0]); for 'direct-streamlocal@openssh.com', `dest` is
   * [socketPath].
   * @throws ChannelOpenError when the server refuses (RFC 4254 §5.1 reason in `reason`).
   * @throws TimeoutError with phase 'channel'.
   */
  async openChannel(
    kind: 'session' | 'direct-tcpip' | 'direct-streamlocal@openssh.com',
    options: SignalOption & { dest?: readonly [string, number] | readonly [string] | undefined; src?: readonly [string, number] | undefined; timeoutMs?: number | undefined } = {},
  ): Promise<Channel> {
    const client = this.#requireAuthenticated()
    const track: TrackOptions = { signal: options.signal, timeoutMs: options.timeoutMs ?? this.#options.timeouts.channelMs }
    switch (kind) {
      case 'session':
        return this.openSession(options)
      case 'direct-tcpip': {
        const dest = options.dest
        if (!dest || typeof dest[0] !== 'string' || typeof dest[1] !== 'number') throw new TypeError('direct-tcpip needs dest: [host, port]')
        return openDirectTcpip(client, this.#track, [dest[0], dest[1]], options.src ?? ['127.0.0.1', 0], track)
      }
      case 'direct-streamlocal@openssh.com': {
        const path = options.dest?.[0]
        if (typeof path !== 'string' || path === '') throw new TypeError('direct-streamlocal needs dest: [socketPath]')
        return openDirectStreamLocal(client, this.#track, path, track)
      }
      default:
        throw new RangeError(`unsupported channel kind: ${String(kind)}`)
    }
  }

  /**
   * Asks the server to listen on `address:port` and forward connections back (RFC 4254 §7.1);
   * paramiko's `request_port_forward`. Each connection goes to `handler`, or without one into
   * the {@link accept} queue. Resolves with the bound port (useful with port 0).
   * @throws ForwardError when the server refuses.
   */
  async requestPortForward(address: string, port: number, handler?: ForwardHandler, options: SignalOption = {}): Promise<number> {
    this.#requireAuthenticated()
    if (typeof address !== 'string') throw new TypeError('address must be a string')
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError('port must be an integer 0–65535')
    if (handler !== undefined && typeof handler !== 'function') throw new TypeError('handler must be a function')
    return this.#forwards!.request(address, port, handler ?? null, (start) =>
      this.#track(start, { signal: options.signal, timeoutMs: this.#options.timeouts.channelMs, what: 'a tcpip-forward request' }),
    )
  }

  /** Stops a remote forward; the server frees the port. paramiko's `cancel_port_forward`. */
  async cancelPortForward(address: string, port: number, options: SignalOption = {}): Promise<void> {
    this.#requireAuthenticated()
    return this.#forwards!.cancel(address, port, (start) =>
      this.#track(start, { signal: options.signal, timeoutMs: this.#options.timeouts.channelMs, what: 'a cancel-tcpip-forward request' }),
    )
  }

  /** Resolves with the next forwarded channel that had no handler, or null on timeout/close; paramiko's `accept`. */
  accept(options: SignalOption & { timeoutMs?: number | undefined } = {}): Promise<Channel | null> {
    if (!this.#forwards) return Promise.resolve(null)
    return this.#forwards.accept(options.timeoutMs, options.signal)
  }

  /**
   * Sends a keepalive every `intervalMs` of silence; after `countMax` unanswered ones the
   * transport closes with `TimeoutError{phase:'keepalive'}` and every pending call rejects.
   * 0 turns it off. paramiko's `set_keepalive`; OpenSSH's ServerAliveInterval/CountMax.
   */
  setKeepalive(intervalMs: number, countMax = 3): void {
    if (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs < 0) throw new RangeError('intervalMs must be ≥ 0')
    if (!Number.isInteger(countMax) || countMax < 0) throw new RangeError('countMax must be an integer ≥ 0')
    this.#keepaliveSetting = intervalMs > 0 ? { intervalMs, countMax } : undefined
    this.#keepalive?.stop()
    this.#keepalive = undefined
    if (this.#state === 'authenticated') this.#startKeepalive()
  }

  /** Sends SSH_MSG_IGNORE with `byteCount` random bytes (default 10–41); paramiko's `send_ignore`. */
  sendIgnore(byteCount?: number): void {
    const client = this.#requireActive()
    const n = byteCount ?? 10 + Math.floor(Math.random() * 32)
    if (!Number.isInteger(n) || n < 0) throw new RangeError('byteCount must be an integer ≥ 0')
    sendIgnore(client, Buffer.alloc(n, 0))
  }

  /** Runs a new key exchange and resolves when it completes; paramiko's `renegotiate_keys`. */
  async renegotiateKeys(options: SignalOption = {}): Promise<void> {
    const client = this.#requireActive()
    return this.#track<void>((resolve) => {
      const onRekey = (): void => resolve()
      this.once('rekey', onRekey)
      startRekey(client)
      return () => this.off('rekey', onRekey)
    }, { signal: options.signal, timeoutMs: this.#options.timeouts.handshakeMs, phase: 'handshake', what: 'the key re-exchange' })
  }

  /**
   * Sends a global request (RFC 4254 §4); paramiko's `global_request`. With `wantReply`
   * (default true) resolves with the server's answer; without, resolves once sent.
   */
  async globalRequest(kind: string, data?: Buffer, options: SignalOption & { wantReply?: boolean | undefined } = {}): Promise<GlobalRequestReply | undefined> {
    if (typeof kind !== 'string' || kind === '') throw new TypeError('kind must be a non-empty string')
    const client = this.#requireAuthenticated()
    if (options.wantReply === false) {
      sendGlobalRequest(client, kind, data)
      return Promise.resolve(undefined)
    }
    return this.#track<GlobalRequestReply>((resolve, reject) => {
      sendGlobalRequest(client, kind, data, (accepted, reply, error) => {
        if (error) reject(new ConnectionLostError(`connection to ${this.#label()} lost during a global request`, { cause: error }))
        else resolve({ accepted, data: reply ?? Buffer.alloc(0) })
      })
    }, { signal: options.signal, timeoutMs: this.#options.timeouts.channelMs, what: `the global request ${kind}` })
  }

  /** Opens an SFTP session; paramiko's `open_sftp_client`. */
  async openSftpClient(options: SignalOption = {}): Promise<SftpClient> {
    const client = this.#requireAuthenticated()
    return this.#track<SftpClient>((resolve, reject) => {
      let abandoned = false
      client.sftp((err, sftp) => {
        if (abandoned) {
          if (!err) sftp.end()
          return
        }
        if (err) return reject(new SSHError(`cannot start SFTP on ${this.#label()}: ${err.message}`, { cause: err }))
        resolve(createSftpClient(sftp))
      })
      return () => {
        abandoned = true
      }
    }, { signal: options.signal, timeoutMs: this.#options.timeouts.channelMs, what: 'opening SFTP' })
  }

  /** The peer's [address, port]: the socket's when we dialled TCP, else the configured name. */
  getpeername(): [string, number] {
    const sock = this.#sock
    if (sock instanceof Socket && sock.remoteAddress) return [sock.remoteAddress, sock.remotePort ?? this.#name.port]
    return [this.#name.hostname, this.#name.port]
  }

  /**
   * Closes gracefully: sends SSH_MSG_DISCONNECT, waits for the peer up to `closeGraceMs`, then
   * destroys the socket. Idempotent; pending calls reject with ConnectionLostError.
   */
  close(): Promise<void> {
    if (this.#state === 'closed' || this.#state === 'closing') return this.#closed
    const client = this.#client
    if (!client || this.#state === 'new' || this.#state === 'starting') {
      this.#finalize(undefined)
      return this.#closed
    }
    this.#state = 'closing'
    this.#pending.rejectAll(new ConnectionLostError(`the transport to ${this.#label()} was closed`))
    noteCloseCause(client, null)
    try {
      client.end()
    } catch {
      // Already half-gone: the grace timer below ends it.
    }
    this.#closeTimer = setTimeout(() => this.#finalize(undefined), this.#options.closeGraceMs)
    return this.#closed
  }

  /** Closes at once; pending calls reject with `error` (or ConnectionLostError). */
  destroy(error?: SSHError): void {
    this.#fail(error, true)
  }

  /** Closes gracefully; `await using t = new Transport(…)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  #label(): string {
    return `${this.#name.hostname}:${this.#name.port}`
  }

  #requireActive(): Client {
    if (!this.#client || !this.isActive) throw new ConnectionLostError(`the transport to ${this.#label()} is not active (${this.#state})`)
    return this.#client
  }

  #requireAuthenticated(): Client {
    const client = this.#requireActive()
    if (this.#state !== 'authenticated') throw new SSHError(`authenticate before opening channels on ${this.#label()}`)
    return client
  }

  async #attempt(build: () => Parameters<AuthDriver['run']>[0], options: SignalOption): Promise<string[]> {
    const { signal } = options
    signal?.throwIfAborted()
    const attempt = build()
    const onAbort = (): void => this.#fail(new ConnectionLostError(`authentication to ${this.#label()} was aborted`, { cause: signal!.reason }))
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      const next = await this.#auth.run(attempt)
      if (next.length === 0) this.#username = attempt.username
      return next
    } catch (err) {
      if (signal?.aborted) throw signal.reason
      throw err
    } finally {
      signal?.removeEventListener('abort', onAbort)
    }
  }

  #connectTcp(signal: AbortSignal | undefined): Promise<Socket> {
    const target = this.#dial!
    return this.#track<Socket>((resolve, reject) => {
      const sock = netConnect({ host: target.host, port: target.port })
      sock.setNoDelay(true)
      const onError = (err: Error): void => {
        reject(translateTransportError(err, 'connect', target))
      }
      sock.once('error', onError)
      sock.once('connect', () => {
        sock.off('error', onError)
        resolve(sock)
      })
      return () => sock.destroy()
    }, { signal, timeoutMs: this.#options.timeouts.connectMs, phase: 'connect', what: `connecting to ${target.host}:${target.port}` })
  }

  #startSsh(sock: Duplex): void {
    const client = new ssh2.Client()
    this.#client = client
    // Our listener stays for the socket's whole life: no error event ever goes unheard.
    sock.on('error', () => {})
    sock.on('data', (chunk: Buffer) => {
      this.#bytesRead += chunk.length
      this.#keepalive?.traffic()
      if (this.listenerCount('traffic') > 0) this.emit('traffic', this.#bytesRead, this.bytesWritten)
    })
    client.on('error', (err: Error & { level?: string | undefined }) => this.#onSsh2Error(err))
    client.on('close', () => this.#finalize(this.#closeReason()))
    client.on('banner', (message: string) => {
      this.#banner = message
      this.emit('banner', message)
    })
    client.on('handshake', (info: Ssh2Negotiated) => this.#onHandshake(client, info))
    client.on('ready', () => {
      this.#state = 'authenticated'
      this.#stage = 'open'
      this.#forwards = new RemoteForwards(client)
      this.#auth.succeeded()
      this.#startKeepalive()
    })
    const verifier = this.#verifier ?? knownHosts()
    client.connect({
      sock: sock as never,
      // Each attempt names its user; ssh2 insists on a string here.
      username: '',
      readyTimeout: 0,
      keepaliveInterval: 0,
      authHandler: this.#auth.handler as never,
      hostVerifier: makeHostVerifier(verifier, this.#name, this.#hostKey) as never,
      algorithms: buildAlgorithms(this.#options, verifier, this.#name) as never,
      ...(this.#options.debug ? { debug: this.#options.debug } : {}),
      // ssh2 1.17 then requests agent forwarding on every exec/shell session and connects the
      // server's auth-agent@openssh.com channels to this socket.
      ...(this.#options.agentForwarding ? { agent: this.#options.agentForwarding, agentForward: true } : {}),
    })
    observeMessage(client, 'USERAUTH_FAILURE', (_proto, methods, partial) => {
      this.#auth.observeFailure(Array.isArray(methods) ? (methods as string[]) : [], partial === true)
    })
  }

  #onHandshake(client: Client, info: Ssh2Negotiated): void {
    const first = this.#negotiated === undefined
    this.#negotiated = Object.freeze({
      kex: info.kex,
      hostKey: info.serverHostKey,
      cipher: info.cs.cipher,
      mac: info.cs.mac || '',
      compression: info.cs.compress,
      strictKex: strictKexOf(client),
    })
    if (first && this.#options.requireStrictKex && !this.#negotiated.strictKex) {
      this.#fail(new HandshakeError(`${this.#label()} does not support strict key exchange (kex-strict-s-v00@openssh.com) and requireStrictKex is set`))
      return
    }
    if (!first) this.emit('rekey', this.#negotiated)
  }

  #onSsh2Error(err: Error & { level?: string | undefined }): void {
    if (err.level === 'agent' || err.level === 'client-authentication') {
      this.#auth.observeError(err)
      return
    }
    // ssh2 1.17 only end()s the socket after a fatal error; a peer that never closes its side
    // (a ProxyCommand printing garbage) would leave us waiting for 'close'. Close now.
    this.#fail(this.#hostKey.error ?? translateTransportError(err, this.#stage, { host: this.#name.hostname, port: this.#name.port }))
  }

  #closeReason(): SSHError | undefined {
    if (this.#state === 'closing') return undefined
    return this.#hostKey.error ?? this.#fatal ?? new ConnectionLostError(`${this.#label()} closed the connection`)
  }

  #startKeepalive(): void {
    const setting = this.#keepaliveSetting
    const client = this.#client
    if (!setting || !client || this.#keepalive) return
    this.#keepalive = new Keepalive({
      ping: (onReply) => sendGlobalRequest(client, 'keepalive@openssh.com', undefined, () => onReply()),
      dead: (err: TimeoutError) => this.#fail(err),
    }, setting.intervalMs, setting.countMax)
  }

  /** Closes at once because of `err` (the first fatal error wins). */
  #fail(err: SSHError | undefined, byCaller = false): void {
    if (this.#state === 'closed') return
    if (err && !this.#fatal) this.#fatal = err
    if (this.#client) noteCloseCause(this.#client, byCaller && !err ? null : (this.#fatal ?? err ?? null))
    this.#sock?.destroy()
    this.#finalize(byCaller && !err ? undefined : (this.#hostKey.error ?? this.#fatal ?? err))
  }

  #finalize(err: SSHError | undefined): void {
    if (this.#state === 'closed') return
    const wasClosing = this.#state === 'closing'
    this.#state = 'closed'
    if (this.#closeTimer) clearTimeout(this.#closeTimer)
    this.#keepalive?.stop()
    this.#forwards?.close()
    const reason = err ?? new ConnectionLostError(`the transport to ${this.#label()} was closed`)
    this.#auth.close(reason)
    this.#pending.rejectAll(reason)
    if (this.#sock && !this.#sock.destroyed) this.#sock.destroy()
    this.#markClosed()
    process.nextTick(() => this.emit('close', wasClosing ? undefined : err))
  }
}

interface Ssh2Negotiated {
  kex: string
  serverHostKey: string
  cs: { cipher: string; mac: string; compress: string }
  sc: { cipher: string; mac: string; compress: string }
}
