import { EventEmitter } from 'node:events'
import type { Duplex } from 'node:stream'
import type { InteractiveHandler } from './auth.js'
import { checkUser, interactiveAttempt, passwordAsInteractive, publicKeyAttempt } from './auth-methods.js'
import { checkAlgorithms } from './algorithms.js'
import type { Channel } from './channel.js'
import { newSessionChannel, openDirectStreamLocal, openDirectTcpip } from './channels.js'
import { ClientSession, isDialTarget, socketPeer } from './client-session.js'
import { connectShortcut, type ConnectOptions } from './connect-shortcut.js'
import { AuthenticationError, BadAuthenticationTypeError, ConnectionLostError, SSHError } from './errors.js'
import type { ForwardHandler } from './forwarding.js'
import type { TrackOptions } from './internal/pending.js'
import type { PrivateKey } from './keys/private-key.js'
import type { PublicKey } from './keys/public-key.js'
import type { SessionChannel } from './session-channel.js'
import { openSftp } from './sftp/open.js'
import type { SftpClient } from './sftp/sftp-client.js'
import { ServerChannel } from './server/server-channel.js'
import type { SubsystemHandler } from './server/server-dispatch.js'
import type { ServerInterface } from './server/server-interface.js'
import { checkServerRoleOptions, resolveServerOptions } from './server/server-options.js'
import { ServerSession, ServerSetup } from './server/server-session.js'
import { parseTarget, resolveTransportOptions, type ResolvedTransportOptions, type TransportOptions, type TransportTarget } from './transport-options.js'
import type { GlobalRequestReply, NegotiatedAlgorithms, SignalOption, TransportEvents } from './transport-types.js'

/** Which half of SSH a Transport runs, chosen by `startClient`/`connect` or `startServer`. */
export type TransportRole = 'client' | 'server'

/**
 * What {@link Transport.accept} resolves with: forwarded channels (plain {@link Channel}s) in the
 * client role, the client's channels ({@link ServerChannel}s) in the server role.
 */
export type AcceptedChannel<R extends TransportRole> = R extends 'server' ? ServerChannel : Channel

/** Options of {@link Transport.openChannel}: `dest`/`src` as [host, port] (or [socketPath]). */
export interface OpenChannelOptions extends SignalOption {
  /** Where the channel leads: [host, port], or [socketPath] for direct-streamlocal. */
  readonly dest?: readonly [string, number] | readonly [string] | undefined
  /** The originator announced in a direct-tcpip open; default ['127.0.0.1', 0]. */
  readonly src?: readonly [string, number] | undefined
  /** Overrides the channel timeout (`timeouts.channelMs`) for this open. */
  readonly timeoutMs?: number | undefined
}

/**
 * Runs one SSH session over one byte stream, either half of it; paramiko's `Transport`. The role
 * is chosen when the session starts. As a client ({@link startClient}, {@link connect}):
 * negotiation, host-key check, authentication step by step, channels, forwards, keepalive and
 * re-keying. As a server ({@link startServer} over a connected stream, after
 * {@link addServerKey}): authentication driven by a {@link ServerInterface}, the client's channels
 * through {@link accept}, and channels opened towards the client. A server-role transport is
 * typed `Transport<'server'>`, so `accept()` yields {@link ServerChannel}s.
 *
 * @example
 * ```ts
 * await using t = new Transport('example.com:22')
 * await t.startClient()
 * let next = await t.authNone('deploy')          // e.g. ['publickey', 'password']
 * if (next.includes('publickey')) next = await t.authPublicKey('deploy', await loadPrivateKey('~/.ssh/id_ed25519'))
 * const ch = await t.openSession(); await ch.exec('uptime')
 * ```
 *
 * @example
 * ```ts
 * await using t = new Transport<'server'>(socket, { server: { loginGraceMs: 30_000 } })
 * t.addServerKey(await loadPrivateKey('/etc/x/host_ed25519'))
 * await t.startServer({ checkAuthPublicKey: (ctx, key) => (allowed(ctx.username, key) ? 'success' : 'failure'),
 *   checkChannelRequest: () => true, checkExecRequest: () => true })
 * const ch = await t.accept()
 * ch?.write(`you ran ${ch.command}\n`); ch?.exit(0)
 * ```
 */
export class Transport<R extends TransportRole = 'client'> extends EventEmitter<TransportEvents> {
  readonly #s: ClientSession
  readonly #options: TransportOptions
  readonly #resolved: ResolvedTransportOptions
  readonly #setup = new ServerSetup()
  #role: TransportRole | undefined
  #server: ServerSession | undefined

  /**
   * Creates a transport over `target`: a connected byte stream (`sock`: a socket, a ProxyJump
   * channel, a ProxyCommand's stdio), or 'host:port' / `{ host, port }` to dial. Nothing happens
   * on the network until {@link startClient}.
   * @throws TypeError / RangeError for invalid arguments.
   */
  constructor(target: TransportTarget, options: TransportOptions = {}) {
    super()
    const resolved = resolveTransportOptions(options)
    checkServerRoleOptions(options.server)
    this.#options = options
    this.#resolved = resolved
    if (isDialTarget(target)) {
      const dial = parseTarget(target as string | { host: string; port?: number | undefined })
      this.#s = new ClientSession({ dial }, { hostname: options.hostname ?? dial.host, port: options.port ?? dial.port }, resolved, this)
    } else if (target && typeof (target as Duplex).pipe === 'function') {
      const remote = socketPeer(target)
      const name = { hostname: options.hostname ?? remote?.host ?? 'unknown-host', port: options.port ?? remote?.port ?? 22 }
      this.#s = new ClientSession({ sock: target as Duplex }, name, resolved, this)
    } else {
      throw new TypeError('target must be a Duplex stream, "host:port" or { host, port }')
    }
    checkAlgorithms(resolved.algorithms)
  }

  /** The server's host key, once the key exchange presented it. */
  get remoteServerKey(): PublicKey | undefined {
    return this.#s.hostKey.key
  }

  /** The role chosen by the first start call, or undefined before one. */
  get role(): TransportRole | undefined {
    return this.#role
  }

  /** The algorithms of the last key exchange, once one completed. */
  get negotiated(): NegotiatedAlgorithms | undefined {
    return this.#server ? this.#server.negotiated : this.#s.negotiated
  }

  /**
   * Bytes received from the peer on the underlying stream so far, SSH framing included; Node's
   * `socket.bytesRead`. With {@link bytesWritten}, what ssh_config's RekeyLimit counts.
   */
  get bytesRead(): number {
    if (this.#server) return streamCount(this.#server.sock, 'bytesRead')
    return this.#s.bytesRead
  }

  /**
   * Bytes sent to the peer on the underlying stream so far, as the stream counts them (a TCP
   * socket, a ChannelSocket and a ProxyCommandSocket do); 0 for a stream that keeps no count.
   */
  get bytesWritten(): number {
    if (this.#server) return streamCount(this.#server.sock, 'bytesWritten')
    return this.#s.bytesWritten
  }

  /** Whether the session is up (handshake done, not closed); paramiko's `is_active`. */
  get isActive(): boolean {
    if (this.#server) return this.#server.negotiated !== undefined && !this.#server.end.ended
    return this.#s.state === 'auth' || this.#s.state === 'authenticated'
  }

  /** Whether authentication completed; paramiko's `is_authenticated`. */
  get isAuthenticated(): boolean {
    if (this.#server) return this.#server.authenticated && !this.#server.end.ended
    return this.#s.state === 'authenticated'
  }

  /** The user name that authenticated (ours as a client, the client's as a server); paramiko's `get_username`. */
  get username(): string | undefined {
    if (this.#server) return this.#server.authenticated ? this.#server.username : undefined
    return this.#s.username
  }

  /** The client's version line (server role), e.g. 'SSH-2.0-OpenSSH_9.2p1'; '' before it came. */
  get remoteVersion(): string {
    return this.#server?.clientVersion ?? ''
  }

  /** Server role: publickey attempts with a forged signature, refused before any handler saw them. */
  get forgedSignatures(): number {
    return this.#server?.forgedSignatures ?? 0
  }

  /** The server's banner (client role), if it sent one; paramiko's `get_banner`. */
  get banner(): string | undefined {
    return this.#s.banner
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
    this.#choose('client', 'startClient')
    return this.#s.start(options.signal)
  }

  /** Tries the 'none' method; paramiko's `auth_none`. Resolves [] if the server let us in. */
  authNone(username: string, options: SignalOption = {}): Promise<string[]> {
    return this.#s.attempt(() => ({ type: 'none', username: checkUser(username) }), options)
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
      return await this.#s.attempt(() => ({ type: 'password', username, password }), options)
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
    return this.#s.attempt(() => attempt, options)
  }

  /**
   * Authenticates by keyboard-interactive (RFC 4256); paramiko's `auth_interactive`. `handler`
   * answers each round; no timer runs while it is pending. Rounds without prompts are answered
   * without calling the handler, and the submethods field goes out empty (a limit of the
   * protocol library underneath), so `submethods` is validated but not sent.
   */
  authInteractive(username: string, handler: InteractiveHandler, submethods?: string, options: SignalOption = {}): Promise<string[]> {
    if (submethods !== undefined && typeof submethods !== 'string') throw new TypeError('submethods must be a string')
    return this.#s.attempt(() => interactiveAttempt(checkUser(username), handler, this.#s.auth), options)
  }

  /**
   * Authenticates with the keys of an SSH agent (`agentPath`, default `$SSH_AUTH_SOCK`), one
   * key after another until one is accepted.
   * @throws AuthenticationError when no agent is reachable or no key is accepted.
   */
  authAgent(username: string, agentPath: string | undefined = process.env['SSH_AUTH_SOCK'], options: SignalOption = {}): Promise<string[]> {
    checkUser(username)
    if (!agentPath) {
      const fields = { username, triedMethods: [], allowedTypes: [] }
      return Promise.reject(new AuthenticationError(`no SSH agent for ${username}@${this.#s.label()}: SSH_AUTH_SOCK is not set`, fields))
    }
    return this.#s.attempt(() => ({ type: 'agent', username, agent: agentPath }), options)
  }

  /**
   * Starts the client (if needed), checks `hostKey` when given, and authenticates with the key
   * and/or password, following a partial success from key to password; paramiko's `connect`.
   * @throws HostKeyError when the server's key is not `hostKey`.
   * @throws AuthenticationError when the server still wants more methods.
   */
  async connect(options: ConnectOptions): Promise<void> {
    this.#choose('client', 'connect')
    return connectShortcut(this as Transport, this.#s, options)
  }

  /**
   * Server role: adds a host key (ed25519, ecdsa, rsa — the last offered as rsa-sha2-512/256),
   * replacing one of the same type; before {@link startServer}. paramiko's `add_server_key`.
   * @throws SSHError after startServer, or on a client-role transport.
   */
  addServerKey(key: PrivateKey): void {
    if (this.#server) throw new SSHError('addServerKey must come before startServer')
    if (this.#role === 'client') throw new SSHError('addServerKey belongs to the server role; this transport runs the client role')
    this.#setup.addKey(key)
  }

  /** Server role: the host key the last key exchange used, or undefined before one. paramiko's `get_server_key`. */
  getServerKey(): PrivateKey | undefined {
    return this.#server?.serverKey()
  }

  /** Always false: group-exchange kex cannot be served by the protocol library, so it is never offered. paramiko's `load_server_moduli`. */
  loadServerModuli(): false {
    return false
  }

  /** Server role: serves subsystem `name` (e.g. 'sftp') with `handler`; the channel ends when it settles. paramiko's `set_subsystem_handler`. */
  setSubsystemHandler(name: string, handler: SubsystemHandler): void {
    if (typeof name !== 'string' || name === '') throw new TypeError('name must be a non-empty string')
    if (typeof handler !== 'function') throw new TypeError('handler must be a function')
    this.#setup.subsystems.set(name, handler)
  }

  /**
   * Starts the server role over the stream the transport was made with: version and key
   * exchange, then authentication driven by `server`; resolves when the first key exchange is
   * done. Publickey signatures are verified here (a handler never sees a forged attempt),
   * group-exchange kex is never offered, strict kex is on, and a login grace timer
   * (`server.loginGraceMs`, `TimeoutError{phase:'auth'}`) and an attempt cap
   * (`server.maxAuthTries`) are always armed. paramiko's `start_server`.
   * @throws TypeError when the transport was made with 'host:port' rather than a stream.
   * @throws SSHError without a host key, when called twice, or on a client-role transport.
   * @throws HandshakeError when the version or key exchange fails (e.g. no common kex).
   * @throws ConnectionLostError when the stream closes first.
   */
  startServer(server: ServerInterface, options: SignalOption = {}): Promise<void> {
    options.signal?.throwIfAborted()
    if (this.#server) throw new SSHError('startServer was already called')
    this.#choose('server', 'startServer', false)
    const sock = this.#s.sock
    if (!sock) throw new TypeError('the server role runs over a connected stream: make the Transport with a Duplex, not "host:port"')
    if (this.#setup.keys.length === 0) throw new SSHError('startServer needs a host key: call addServerKey first')
    const settings = resolveServerOptions(this.#options.server, this.#resolved)
    this.#choose('server', 'startServer')
    if (this.#s.end.ended) return Promise.reject(new ConnectionLostError('the transport was closed before startServer'))
    this.#server = new ServerSession(sock, settings, this.#setup, this, this.#s.end)
    return this.#server.start(server, options.signal)
  }

  /**
   * Server role: opens a forwarded-tcpip channel to the client for a connection that arrived on
   * the listener `bound` (RFC 4254 §7.2); paramiko's `open_forwarded_tcpip_channel`.
   * @throws ChannelOpenError when the client refuses.
   * @throws ConnectionLostError when the server role is not running.
   */
  async openForwardedTcpipChannel(bound: readonly [string, number], origin: readonly [string, number]): Promise<Channel> {
    return this.#serving().open('forwarded-tcpip', (p, cb) => p.openForwardedTcpip(bound, origin, cb), { remoteAddress: origin[0], remotePort: origin[1] })
  }

  /** Server role: opens a forwarded-streamlocal@openssh.com channel for a listener on `socketPath`. */
  async openForwardedStreamlocalChannel(socketPath: string): Promise<Channel> {
    return this.#serving().open('forwarded-streamlocal@openssh.com', (p, cb) => p.openForwardedStreamLocal(socketPath, cb), {})
  }

  /** Server role: opens an x11 channel (RFC 4254 §6.3.2); paramiko's `open_x11_channel`. */
  async openX11Channel(origin: readonly [string, number]): Promise<Channel> {
    return this.#serving().open('x11', (p, cb) => p.openX11(origin, cb), { remoteAddress: origin[0], remotePort: origin[1] })
  }

  /**
   * Server role: opens an auth-agent@openssh.com channel to the client's agent, an agent
   * protocol stream (draft-miller-ssh-agent) for a session whose
   * {@link ServerChannel.agentForwarding} is set; paramiko's `open_forward_agent_channel`.
   * OpenSSH refuses it unless run with `-A`.
   * @throws ChannelOpenError when the client refuses.
   * @throws ConnectionLostError when the server role is not running.
   */
  async openForwardAgentChannel(): Promise<Channel> {
    return this.#serving().open('auth-agent@openssh.com', (p, cb) => p.openAgent(cb), {})
  }

  /**
   * Returns a session channel; paramiko's `open_session`. The channel opens with its first
   * request (exec, shell, subsystem) — see {@link SessionChannel}.
   */
  async openSession(options: SignalOption = {}): Promise<SessionChannel> {
    options.signal?.throwIfAborted()
    return newSessionChannel(this.#s.channelContext(), this.#s.options.timeouts.channelMs)
  }

  /**
   * Opens a channel of `kind`; paramiko's `open_channel`. `dest`/`src` are [host, port] tuples
   * (src defaults to ['127.0.0.1', 0]); for 'direct-streamlocal@openssh.com', `dest` is
   * [socketPath]. A 'session' channel is a {@link SessionChannel}; the others are plain Channels.
   * @throws ChannelOpenError when the server refuses (RFC 4254 §5.1 reason in `reason`).
   * @throws TimeoutError with phase 'channel'.
   */
  openChannel(kind: 'session', options?: OpenChannelOptions): Promise<SessionChannel>
  openChannel(kind: 'direct-tcpip' | 'direct-streamlocal@openssh.com', options?: OpenChannelOptions): Promise<Channel>
  async openChannel(kind: 'session' | 'direct-tcpip' | 'direct-streamlocal@openssh.com', options: OpenChannelOptions = {}): Promise<Channel> {
    const ctx = this.#s.channelContext()
    const track: TrackOptions = { signal: options.signal, timeoutMs: options.timeoutMs ?? this.#s.options.timeouts.channelMs }
    switch (kind) {
      case 'session':
        return this.openSession(options)
      case 'direct-tcpip': {
        const dest = options.dest
        if (!dest || typeof dest[0] !== 'string' || typeof dest[1] !== 'number') throw new TypeError('direct-tcpip needs dest: [host, port]')
        return openDirectTcpip(ctx, [dest[0], dest[1]], options.src ?? ['127.0.0.1', 0], track)
      }
      case 'direct-streamlocal@openssh.com': {
        const path = options.dest?.[0]
        if (typeof path !== 'string' || path === '') throw new TypeError('direct-streamlocal needs dest: [socketPath]')
        return openDirectStreamLocal(ctx, path, track)
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
    this.#s.requireAuthenticated()
    if (typeof address !== 'string') throw new TypeError('address must be a string')
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError('port must be an integer 0–65535')
    if (handler !== undefined && typeof handler !== 'function') throw new TypeError('handler must be a function')
    return this.#s.forwards!.request(address, port, handler ?? null, (start) =>
      this.#s.track(start, { signal: options.signal, timeoutMs: this.#s.options.timeouts.channelMs, what: 'a tcpip-forward request' }),
    )
  }

  /** Stops a remote forward; the server frees the port. paramiko's `cancel_port_forward`. */
  async cancelPortForward(address: string, port: number, options: SignalOption = {}): Promise<void> {
    this.#s.requireAuthenticated()
    return this.#s.forwards!.cancel(address, port, (start) =>
      this.#s.track(start, { signal: options.signal, timeoutMs: this.#s.options.timeouts.channelMs, what: 'a cancel-tcpip-forward request' }),
    )
  }

  /**
   * Resolves with the next channel, or null on timeout or close; paramiko's `accept`. Client
   * role: a forwarded channel that had no handler. Server role: a client's session once
   * shell/exec (or a subsystem without a handler) started — with `pty`, `env` and `command`
   * known — or a direct-tcpip / direct-streamlocal channel once allowed.
   */
  accept(options: SignalOption & { timeoutMs?: number | undefined } = {}): Promise<AcceptedChannel<R> | null> {
    type Accepted = Promise<AcceptedChannel<R> | null>
    if (this.#server) return this.#server.accept(options.signal, options.timeoutMs) as Accepted
    if (!this.#s.forwards) return Promise.resolve(null)
    return this.#s.forwards.accept(options.timeoutMs, options.signal) as Accepted
  }

  /**
   * Sends a keepalive every `intervalMs` of silence; after `countMax` unanswered ones the
   * transport closes with `TimeoutError{phase:'keepalive'}` and every pending call rejects.
   * 0 turns it off. paramiko's `set_keepalive`; OpenSSH's ServerAliveInterval/CountMax.
   * Client role; the server role takes the `keepalive` option at {@link startServer}.
   * @throws SSHError on a server-role transport.
   */
  setKeepalive(intervalMs: number, countMax = 3): void {
    if (this.#server) throw new SSHError('setKeepalive belongs to the client role: give the server role the keepalive option')
    if (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs < 0) throw new RangeError('intervalMs must be ≥ 0')
    if (!Number.isInteger(countMax) || countMax < 0) throw new RangeError('countMax must be an integer ≥ 0')
    this.#s.keepaliveSetting = intervalMs > 0 ? { intervalMs, countMax } : undefined
    this.#s.restartKeepalive()
  }

  /** Sends SSH_MSG_IGNORE with `byteCount` random bytes (default 10–41); paramiko's `send_ignore`. */
  sendIgnore(byteCount?: number): void {
    const protocol = this.#server ? this.#server.requireProtocol() : this.#s.requireActive()
    const n = byteCount ?? 10 + Math.floor(Math.random() * 32)
    if (!Number.isInteger(n) || n < 0) throw new RangeError('byteCount must be an integer ≥ 0')
    protocol.sendIgnore(Buffer.alloc(n, 0))
  }

  /** Runs a new key exchange and resolves when it completes; paramiko's `renegotiate_keys`. */
  async renegotiateKeys(options: SignalOption = {}): Promise<void> {
    if (this.#server) return this.#server.rekey()
    const protocol = this.#s.requireActive()
    return this.#s.track<void>((resolve) => {
      const onRekey = (): void => resolve()
      this.once('rekey', onRekey)
      protocol.rekey()
      return () => this.off('rekey', onRekey)
    }, { signal: options.signal, timeoutMs: this.#s.options.timeouts.handshakeMs, phase: 'handshake', what: 'the key re-exchange' })
  }

  /**
   * Sends a global request (RFC 4254 §4); paramiko's `global_request`. With `wantReply`
   * (default true) resolves with the server's answer; without, resolves once sent.
   */
  async globalRequest(kind: string, data?: Buffer, options: SignalOption & { wantReply?: boolean | undefined } = {}): Promise<GlobalRequestReply | undefined> {
    if (typeof kind !== 'string' || kind === '') throw new TypeError('kind must be a non-empty string')
    const protocol = this.#s.requireAuthenticated()
    if (options.wantReply === false) {
      protocol.globalRequest(kind, data)
      return Promise.resolve(undefined)
    }
    return this.#s.track<GlobalRequestReply>((resolve, reject) => {
      protocol.globalRequest(kind, data, (accepted, reply, error) => {
        if (error) reject(new ConnectionLostError(`connection to ${this.#s.label()} lost during a global request`, { cause: error }))
        else resolve({ accepted, data: reply ?? Buffer.alloc(0) })
      })
    }, { signal: options.signal, timeoutMs: this.#s.options.timeouts.channelMs, what: `the global request ${kind}` })
  }

  /** Opens an SFTP session; paramiko's `open_sftp_client`. */
  async openSftpClient(options: SignalOption = {}): Promise<SftpClient> {
    return openSftp(this.#s.channelContext(), this.#s.label(), options.signal, this.#s.options.timeouts.channelMs)
  }

  /** The peer's [address, port]: the socket's when we dialled TCP, else the configured name. */
  getpeername(): [string, number] {
    if (this.#server) {
      const { host, port } = this.#server.peer()
      return [host, port]
    }
    const peer = socketPeer(this.#s.sock)
    if (peer?.host) return [peer.host, peer.port ?? this.#s.name.port]
    return [this.#s.name.hostname, this.#s.name.port]
  }

  /**
   * Resolves when the transport has ended, with why: undefined when it was closed by its owner
   * (close(), destroy() without an error), else the error that ended it — the same value as the
   * 'close' event carries. Go's `Conn.Wait`, asyncssh's `wait_closed`. Never rejects.
   */
  wait(): Promise<SSHError | undefined> {
    return this.#s.end.wait()
  }

  /**
   * Closes gracefully: sends SSH_MSG_DISCONNECT, waits for the peer up to `closeGraceMs`, then
   * destroys the socket. Idempotent; pending calls reject with ConnectionLostError.
   */
  close(): Promise<void> {
    return this.#server ? this.#server.close() : this.#s.close()
  }

  /** Closes at once; pending calls reject with `error` (or ConnectionLostError). */
  destroy(error?: SSHError): void {
    if (this.#server) this.#server.fail(error, true)
    else this.#s.fail(error, true)
  }

  /** Closes gracefully; `await using t = new Transport(…)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  /** Takes `role` (unless `take` is false: only checks), or refuses a call of the other role. */
  #choose(role: TransportRole, call: string, take = true): void {
    if (this.#role !== undefined && this.#role !== role) throw new SSHError(`${call} belongs to the ${role} role; this transport runs the ${this.#role} role`)
    if (take) this.#role = role
  }

  /** The running server role, or ConnectionLostError. */
  #serving(): ServerSession {
    if (!this.#server) throw new ConnectionLostError('the server role is not running: call startServer first')
    this.#server.requireProtocol()
    return this.#server
  }
}

/** A stream's own byte count (a net.Socket keeps one), or 0. */
function streamCount(sock: Duplex, field: 'bytesRead' | 'bytesWritten'): number {
  const n = (sock as unknown as Record<string, unknown>)[field]
  return typeof n === 'number' ? n : 0
}
