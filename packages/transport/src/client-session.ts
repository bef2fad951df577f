/**
 * The client role's state behind the Transport façade: the state machine, the start of the SSH
 * session over the client adapter, the hooks it reports through, the tracked operations, and
 * the one way it ends (fail / close / finalize), which every channel learns of through the
 * {@link TransportEnd}.
 */
import type { EventEmitter } from 'node:events'
import type { Duplex } from 'node:stream'
import { Socket } from 'node:net'
import { buildAlgorithms } from './algorithms.js'
import { AuthDriver } from './auth.js'
import type { ChannelContext, Track } from './channels.js'
import { dialTcp } from './dial.js'
import { ConnectionLostError, HandshakeError, SSHError, type TimeoutError } from './errors.js'
import { RemoteForwards } from './forwarding.js'
import { makeHostVerifier, type HostKeyCheckState } from './host-key-check.js'
import { knownHosts, type HostKeyVerifier } from './host-keys/verifiers.js'
import { onAbort } from './internal/abort.js'
import { startClientAdapter } from './internal/client-adapter.js'
import type { AuthAttempt, ClientProtocol, HandshakeInfo } from './internal/client-protocol.js'
import { PendingOps } from './internal/pending.js'
import { TransportEnd } from './internal/transport-end.js'
import { translateTransportError, type TransportStage } from './internal/translate-error.js'
import { Keepalive } from './keepalive.js'
import type { ResolvedTransportOptions } from './transport-options.js'
import type { NegotiatedAlgorithms, SignalOption, TransportEvents } from './transport-types.js'

/** Where a client session is in its life. @internal */
export type ClientState = 'new' | 'starting' | 'auth' | 'authenticated' | 'closing' | 'closed'


/** The client side of one SSH session; the Transport façade forwards to it. @internal */
export class ClientSession {
  /** The validated options. */
  readonly options: ResolvedTransportOptions
  /** The name and port the host key is checked under (and messages name). */
  readonly name: { hostname: string; port: number }
  /** The host key the server presented, and why it was refused if it was. */
  readonly hostKey: HostKeyCheckState = { key: undefined, error: undefined }
  /** Authentication, one attempt at a time. */
  readonly auth: AuthDriver
  /** The end every channel watches; {@link Transport.wait} resolves with it. */
  readonly end = new TransportEnd()
  /** Tracks an operation until it settles, the transport closes, its signal aborts or its timer fires. */
  readonly track: Track = (start, options) => this.#pending.track(start, options)
  /** Where the session is. */
  state: ClientState = 'new'
  /** The host-key verifier (replaced by connect({ hostKey }) before the start). */
  verifier: HostKeyVerifier | undefined
  /** The algorithms of the last key exchange. */
  negotiated: NegotiatedAlgorithms | undefined
  /** The server's banner. */
  banner: string | undefined
  /** The user that authenticated. */
  username: string | undefined
  /** The remote forwards, once authenticated. */
  forwards: RemoteForwards | undefined
  /** The keepalive setting applied once authenticated. */
  keepaliveSetting: { intervalMs: number; countMax: number } | undefined
  /** Bytes received from the peer on the stream so far, SSH framing included. */
  bytesRead = 0
  readonly #dial: { host: string; port: number } | undefined
  readonly #pending = new PendingOps()
  readonly #events: EventEmitter<TransportEvents>
  #sock: Duplex | undefined
  #protocol: ClientProtocol | undefined
  #stage: TransportStage = 'connect'
  #fatal: SSHError | undefined
  #keepalive: Keepalive | undefined
  #readyForAuth: (() => void) | undefined
  #closeTimer: NodeJS.Timeout | undefined

  /** Creates the session over `sock`, or to dial `dial`, emitting on `events`; nothing happens until {@link start}. */
  constructor(
    target: { sock: Duplex; dial?: undefined } | { sock?: undefined; dial: { host: string; port: number } },
    name: { hostname: string; port: number },
    options: ResolvedTransportOptions,
    events: EventEmitter<TransportEvents>,
  ) {
    this.#sock = target.sock
    this.#dial = target.dial
    this.name = name
    this.options = options
    this.#events = events
    this.verifier = options.hostKeyVerifier
    this.keepaliveSetting = options.keepalive
    this.auth = new AuthDriver({
      readyForAuth: () => this.#readyForAuth?.(),
      send: (attempt: AuthAttempt) => this.#protocol!.authenticate(attempt),
      timedOut: (err) => this.fail(err),
      // Deferred until the hook that reported the success (and starts keepalive) returns.
      abandon: (err) => process.nextTick(() => this.fail(err)),
      authMs: options.timeouts.authMs,
      target: this.label(),
    })
  }

  /** The stream the session runs over (once dialled). */
  get sock(): Duplex | undefined {
    return this.#sock
  }

  /** 'host:port' for messages. */
  label(): string {
    return `${this.name.hostname}:${this.name.port}`
  }

  /** What the channel helpers need: the connection, the tracker and the end. */
  channelContext(): ChannelContext {
    return { protocol: this.requireAuthenticated(), track: this.track, end: this.end }
  }

  /** Dials (if needed), runs the handshake and the host-key check; see Transport.startClient. */
  async start(signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted()
    if (this.state !== 'new') throw new SSHError(`startClient() was already called (state: ${this.state})`)
    this.state = 'starting'
    using _ = onAbort(signal, (reason) => this.fail(new ConnectionLostError(`connecting to ${this.label()} was aborted`, { cause: reason })))
    try {
      if (!this.#sock) this.#sock = await dialTcp(this.#dial!, this.track, signal, this.options.timeouts.connectMs)
      this.#stage = 'handshake'
      await this.track<void>((resolve) => {
        this.#readyForAuth = resolve
        this.#startProtocol(this.#sock!)
        return (reason) => this.fail(reason instanceof SSHError ? reason : new ConnectionLostError('handshake abandoned', { cause: reason }))
      }, { signal, timeoutMs: this.options.timeouts.handshakeMs, phase: 'handshake', what: `the SSH handshake with ${this.label()}` })
      this.#stage = 'auth'
      this.state = 'auth'
    } catch (err) {
      const reason = this.#fatal ?? (err instanceof SSHError ? err : new HandshakeError(`SSH handshake with ${this.label()} failed`, { cause: err }))
      this.fail(reason)
      if (signal?.aborted) throw signal.reason
      throw reason
    }
  }

  /** Runs one authentication attempt; an abort closes the transport (the attempt cannot be taken back). */
  async attempt(build: () => AuthAttempt, options: SignalOption): Promise<string[]> {
    const { signal } = options
    signal?.throwIfAborted()
    const attempt = build()
    using _ = onAbort(signal, (reason) => this.fail(new ConnectionLostError(`authentication to ${this.label()} was aborted`, { cause: reason })))
    try {
      const next = await this.auth.run(attempt)
      if (next.length === 0) {
        this.username = attempt.username
        this.#events.emit('authenticated', attempt.username)
      }
      return next
    } catch (err) {
      if (signal?.aborted) throw signal.reason
      throw err
    }
  }

  /** The connection, when the session is up. @throws ConnectionLostError otherwise. */
  requireActive(): ClientProtocol {
    if (!this.#protocol || !(this.state === 'auth' || this.state === 'authenticated')) {
      throw new ConnectionLostError(`the transport to ${this.label()} is not active (${this.state})`)
    }
    return this.#protocol
  }

  /** The connection, once authenticated. @throws SSHError before. */
  requireAuthenticated(): ClientProtocol {
    const protocol = this.requireActive()
    if (this.state !== 'authenticated') throw new SSHError(`authenticate before opening channels on ${this.label()}`)
    return protocol
  }

  /** Applies {@link keepaliveSetting}: restarts the keepalive, when authenticated. */
  restartKeepalive(): void {
    this.#keepalive?.stop()
    this.#keepalive = undefined
    if (this.state === 'authenticated') this.#startKeepalive()
  }

  /** Closes gracefully: DISCONNECT, then the socket after the grace period; see Transport.close. */
  close(): Promise<void> {
    if (this.state === 'closed' || this.state === 'closing') return this.end.wait().then(() => undefined)
    const protocol = this.#protocol
    if (!protocol || this.state === 'new' || this.state === 'starting') {
      this.#finalize(undefined)
      return this.end.wait().then(() => undefined)
    }
    this.state = 'closing'
    this.#pending.rejectAll(new ConnectionLostError(`the transport to ${this.label()} was closed`))
    try {
      protocol.end()
    } catch {
      // Already half-gone: the grace timer below ends it.
    }
    this.#closeTimer = setTimeout(() => this.#finalize(undefined), this.options.closeGraceMs)
    return this.end.wait().then(() => undefined)
  }

  /** Bytes sent on the stream so far, as the stream counts them; 0 for one that keeps no count. */
  get bytesWritten(): number {
    const count = (this.#sock as { bytesWritten?: unknown } | undefined)?.bytesWritten
    return typeof count === 'number' ? count : 0
  }

  /** Closes at once because of `err` (the first fatal error wins); `byCaller` for destroy(). */
  fail(err: SSHError | undefined, byCaller = false): void {
    if (this.state === 'closed') return
    if (err && !this.#fatal) this.#fatal = err
    this.#sock?.destroy()
    this.#finalize(byCaller && !err ? undefined : (this.hostKey.error ?? this.#fatal ?? err))
  }

  #startProtocol(sock: Duplex): void {
    // Our listener stays for the socket's whole life: no error event ever goes unheard.
    sock.on('error', () => {})
    sock.on('data', (chunk: Buffer) => {
      this.bytesRead += chunk.length
      this.#keepalive?.traffic()
      if (this.#events.listenerCount('traffic') > 0) this.#events.emit('traffic', this.bytesRead, this.bytesWritten)
    })
    const verifier = this.verifier ?? knownHosts()
    this.#protocol = startClientAdapter(sock, {
      checkHostKey: makeHostVerifier(verifier, this.name, this.hostKey),
      algorithms: buildAlgorithms(this.options, verifier, this.name),
      debug: this.options.debug,
      agentForwarding: this.options.agentForwarding,
      agentForwardingSessions: this.options.agentForwardingSessions,
    }, {
      onReadyForAuth: () => this.auth.readyForAuth(),
      onAuthRefused: () => this.auth.refused(),
      onAuthFailureMessage: (methods, partial) => this.auth.observeFailure(methods, partial),
      onAuthError: (err) => this.auth.observeError(err),
      onAuthenticated: () => this.#onAuthenticated(),
      onHandshake: (info) => this.#onHandshake(info),
      onBanner: (message) => {
        this.banner = message
        this.#events.emit('banner', message)
      },
      // ssh2 1.17 only end()s the socket after a fatal error; a peer that never closes its side
      // (a ProxyCommand printing garbage) would leave us waiting for 'close'. Close now.
      onFatal: (raw) => this.fail(this.hostKey.error ?? translateTransportError(raw, this.#stage, { host: this.name.hostname, port: this.name.port })),
      onClose: () => this.#finalize(this.#closeReason()),
    })
  }

  #onAuthenticated(): void {
    this.state = 'authenticated'
    this.#stage = 'open'
    this.forwards = new RemoteForwards(this.#protocol!, this.end)
    this.auth.succeeded()
    this.#startKeepalive()
  }

  #onHandshake(info: HandshakeInfo): void {
    const first = this.negotiated === undefined
    this.negotiated = Object.freeze({ ...info })
    if (first && this.options.requireStrictKex && !this.negotiated.strictKex) {
      this.fail(new HandshakeError(`${this.label()} does not support strict key exchange (kex-strict-s-v00@openssh.com) and requireStrictKex is set`))
      return
    }
    if (!first) this.#events.emit('rekey', this.negotiated)
  }

  #closeReason(): SSHError | undefined {
    if (this.state === 'closing') return undefined
    return this.hostKey.error ?? this.#fatal ?? new ConnectionLostError(`${this.label()} closed the connection`)
  }

  #startKeepalive(): void {
    const setting = this.keepaliveSetting
    const protocol = this.#protocol
    if (!setting || !protocol || this.#keepalive) return
    this.#keepalive = new Keepalive({
      ping: (onReply) => protocol.globalRequest('keepalive@openssh.com', undefined, () => onReply()),
      dead: (err: TimeoutError) => this.fail(err),
    }, setting.intervalMs, setting.countMax)
  }

  #finalize(err: SSHError | undefined): void {
    if (this.state === 'closed') return
    const wasClosing = this.state === 'closing'
    this.state = 'closed'
    if (this.#closeTimer) clearTimeout(this.#closeTimer)
    this.#keepalive?.stop()
    this.forwards?.close()
    const reason = err ?? new ConnectionLostError(`the transport to ${this.label()} was closed`)
    this.auth.close(reason)
    this.#pending.rejectAll(reason)
    const cause = wasClosing ? undefined : err
    // Synchronously, before the protocol library closes its channels: they learn why first.
    this.end.end(cause)
    if (this.#sock && !this.#sock.destroyed) this.#sock.destroy()
    process.nextTick(() => this.#events.emit('close', cause))
  }
}

/** Whether `target` names a place to dial rather than a stream. @internal */
export function isDialTarget(target: unknown): boolean {
  return typeof target === 'string' || (typeof target === 'object' && target !== null && !('pipe' in target))
}

/** The peer of a TCP socket, when `sock` is one. @internal */
export function socketPeer(sock: unknown): { host: string | undefined; port: number | undefined } | undefined {
  return sock instanceof Socket ? { host: sock.remoteAddress, port: sock.remotePort } : undefined
}
