import { ConnectionLostError, raceSignal, Transport, type SessionChannel, type ChannelSocket, type SftpClient, type SSHError } from '@x/transport'
import { checkHostForCommand, checkUserForCommand } from '@x/gateway'
import { authenticate } from './auth-policy.js'
import { hopKey, planRoute, type GatewayRoute } from './gateway-route.js'
import { forwardLocal } from './forwarding/forward-local.js'
import { forwardRemote } from './forwarding/forward-remote.js'
import type { LocalForward, LocalForwardOptions, RemoteForward, RemoteForwardOptions } from './forwarding/types.js'
import { get } from './transfer/get.js'
import { put } from './transfer/put.js'
import type { GetDestination, GetOptions, PutOptions, PutSource, TransferResult } from './transfer/types.js'
import { resolveConnectionOptions, type ConnectionOptions, type ResolvedConnectionOptions } from './connection-options.js'
import { explainOpen, formatHost } from './debug-lines.js'
import { formatHop, hopContextOf, hopOptions, withHopContext } from './hop-options.js'
import { resolveHostConfig, resolveHostSettings, type HostSettings } from './host-settings.js'
import { parseHostSpec } from './host-spec.js'
import { collectRun, type Result, type RunEncoding, type RunOptions, type RunOutput } from './run.js'
import { trackRun } from './kill-remote.js'
import { transportOptionsFor } from './transport-options-for.js'
import { watchRekeyLimit } from './rekey-limit.js'
import { Resources } from './resources.js'
import { openRouteStream } from './route-stream.js'
import { sessionEnvironment } from './session-env.js'
import { signalOf, type SessionOptions, type SignalOption } from './session-options.js'
import { SessionLimiter } from './session-limiter.js'
import type { ResolvedSshConfig, SshConfigWarning } from '@x/ssh-config'
import { collectSudo, sudoCommandLine, type SudoOptions } from './sudo.js'

/**
 * An SSH connection to one host, resolved and authenticated the way `ssh` would, with Fabric's
 * verbs; Fabric's `Connection`. Nothing touches the network until the first verb (or `open()`).
 *
 * @example
 * ```ts
 * await using c = new Connection('deploy@web1')
 * const { stdout } = await c.run('uname -a')
 * await c.put('./app.tar.gz', '/srv/releases/')
 * ```
 */
export class Connection {
  /** The host as given (an ssh_config alias or a name), without user and port. */
  readonly host: string
  /** The user that logs in (explicit option > shorthand > ssh_config User > local user). */
  readonly user: string
  /** The port dialled (explicit option > shorthand > ssh_config Port > 22). */
  readonly port: number
  /** The name dialled (ssh_config HostName, else `host`). */
  readonly hostname: string
  /** The resolved ssh_config for this host, as `ssh -G` prints it (lower-case keys). */
  readonly sshConfig: ResolvedSshConfig
  /**
   * The ssh_config lines that apply to this host but were ignored (keywords of a newer OpenSSH
   * or a vendor's ssh that mean nothing here, IgnoreUnknown skips, obsolete keywords); kept
   * apart from `sshConfig` so that it stays exactly what `ssh -G` prints.
   */
  readonly sshConfigWarnings: readonly SshConfigWarning[]
  readonly #options: ResolvedConnectionOptions
  /** This host's settings (explicit options > ssh_config > defaults), decided once. */
  readonly #settings: HostSettings
  readonly #limiter: SessionLimiter
  #transport: Transport | undefined
  #opening: Promise<Transport> | undefined
  #openController: AbortController | undefined
  #openWaiters = 0
  #sftp: Promise<SftpClient> | undefined
  /** Settles when the last opened transport closed (see waitClosed); resolved before any open. */
  #closed: Promise<SSHError | undefined> = Promise.resolve(undefined)
  /** What the open session holds, closed in reverse by `close()`: ProxyCommand, transport, SFTP, forwards. */
  #held = new Resources()
  readonly #route: GatewayRoute<Connection>
  /** The `debug` option with this hop's prefix; undefined when not asked for. */
  readonly #debug: ((line: string) => void) | undefined

  /**
   * Resolves `host` ('user@host:port', '[v6]:port', an ssh_config alias) against ssh_config;
   * synchronous and offline.
   * @throws ConfigError when ssh_config is invalid (as OpenSSH would refuse it).
   * @throws TypeError / RangeError for invalid options.
   */
  constructor(host: string, options: ConnectionOptions = {}) {
    const hop = hopContextOf<Connection>(options)
    this.#options = resolveConnectionOptions(options)
    const spec = parseHostSpec(host)
    const { sshConfig, warnings } = resolveHostConfig(spec, this.#options)
    this.sshConfig = sshConfig
    this.sshConfigWarnings = warnings
    const settings = (this.#settings = resolveHostSettings(spec, this.#options, sshConfig))
    this.host = settings.host
    this.user = settings.user
    this.port = settings.port
    this.hostname = settings.hostname
    this.#route = planRoute(spec.host, settings.gateway, this.#options, hop ?? { trail: [hopKey(spec)] }, (next, context) =>
      new Connection(formatHop(next), withHopContext(hopOptions(this.#options), context)))
    if (this.#route.kind === 'proxy-command' && !hop) {
      // Names from the API reach a shell through %h/%r: OpenSSH's post-CVE-2023-51385 rule.
      checkHostForCommand(spec.host)
      const user = this.#options.user ?? spec.user
      if (user !== undefined) checkUserForCommand(user)
    }
    this.#limiter = new SessionLimiter(this.#options.maxSessions)
    const debug = this.#options.debug
    const prefix = `[${this.user}@${formatHost(this.host)}:${this.port}] `
    this.#debug = debug ? (line) => debug(prefix + line) : undefined
  }

  /** Whether an authenticated transport is up. */
  get isConnected(): boolean {
    return this.#transport?.isAuthenticated === true
  }

  /** The authenticated transport, while connected. */
  get transport(): Transport | undefined {
    return this.#transport
  }

  /**
   * Connects and authenticates (every verb does this on first use); concurrent calls share one
   * attempt, which is torn down when every caller has aborted.
   * @throws ConnectError, TimeoutError, HandshakeError, HostKeyError, AuthenticationError, KeyError.
   */
  async open(options: SignalOption = {}): Promise<void> {
    await this.#ready(options.signal)
  }

  /**
   * Waits until the open connection ends and resolves with why: `undefined` when `close()` ended
   * it; otherwise the error that did: `ConnectionLostError` when the server closed the connection
   * or the peer, the socket or a gateway hop went away, `TimeoutError` with phase 'keepalive' when
   * the server stopped answering keepalives. Never rejects
   * (no unhandled rejection for a caller that ignores it); asyncssh's `wait_closed()`, Go's
   * `Client.Wait()`.
   *
   * The promise belongs to one opened session: call it after `open()` (or any verb). While no
   * session is open it is that of the last one, already resolved with its cause — or, before the
   * first open, resolved with `undefined`. A Connection that opens again (a verb after a close or
   * a loss) gets a new session, and `waitClosed()` then returns the new session's promise.
   *
   * @example
   * ```ts
   * await c.open()
   * const cause = await c.waitClosed() // undefined after c.close(); the error after a loss
   * if (cause) console.error(`lost ${c.host}: ${cause.code}`)
   * ```
   */
  waitClosed(): Promise<SSHError | undefined> {
    return this.#closed
  }

  /**
   * Runs `command` and resolves with its Result; Fabric's `run`. A timeout, an abort or
   * `maxBuffer` stops the command on the server before the call rejects (docs/timeouts.md).
   * @throws UnexpectedExitError when it exits non-zero (unless `warn`).
   * @throws TimeoutError with phase 'command' after `timeoutMs`; its `stop` says how the command was stopped.
   * @throws MaxBufferError when stdout or stderr exceeds `maxBuffer`.
   */
  async run<E extends RunEncoding = 'utf8'>(command: string, options: RunOptions<E> = {}): Promise<Result<RunOutput<E>>> {
    const tracked = trackRun(command, options, () => this.#transport)
    const ch = await this.#session((c) => c.exec(tracked?.line ?? command), options, options.signal)
    return collectRun(ch, command, options, { tracking: tracked?.tracking }).finally(() => ch.destroy())
  }

  /**
   * Runs `command` as root (or `options.user`) through sudo, answering its prompt with the
   * password; Fabric's `sudo`. The password never appears in the captured output.
   * @throws AuthenticationError when sudo rejects the password (at once, never a hang).
   */
  async sudo(command: string, options: SudoOptions = {}): Promise<Result> {
    const password = options.password ?? this.#options.auth?.password
    const { line, markers } = sudoCommandLine(command, options)
    const tracked = trackRun(line, options, () => this.#transport, password ?? '')
    const ch = await this.#session((c) => c.exec(tracked?.line ?? line), options, options.signal)
    return collectSudo(ch, command, markers, password, options, this.#label(), { tracking: tracked?.tracking }).finally(() => ch.destroy())
  }

  /** Starts `command` and returns its streaming Channel; Fabric's `Connection.create_session` + exec. */
  async exec(command: string, options: SessionOptions = {}): Promise<SessionChannel> {
    return this.#session((c) => c.exec(command), options, options.signal)
  }

  /** Starts an interactive shell (with a pty unless `pty: false`) and returns its Channel. */
  async shell(options: SessionOptions = {}): Promise<SessionChannel> {
    const pty = options.pty ?? true
    return this.#session((c) => c.invokeShell({ pty: pty !== false }), { ...options, pty }, options.signal)
  }

  /** Returns this connection's SFTP client (one per connection, opened on first use); Fabric's `sftp()`. */
  async sftp(options: SignalOption = {}): Promise<SftpClient> {
    const t = await this.#ready(options.signal)
    if (!this.#sftp) {
      const opening = t.openSftpClient({ ...(options.signal ? { signal: options.signal } : {}) })
      this.#sftp = opening
      opening.then(
        (client) => {
          const held = this.#held.defer(() => quietly(client.close()))
          t.once('close', () => held[Symbol.dispose]())
        },
        () => {
          if (this.#sftp === opening) this.#sftp = undefined
        },
      )
    }
    return this.#sftp
  }

  /**
   * Uploads a local path, stream or buffer to `remotePath` over SFTP; Fabric's `put`. A path keeps
   * its permission bits unless `preserveMode: false` or `mode` says otherwise. Atomic (temporary
   * file, then `posix-rename@openssh.com` over the target; `atomic: false` writes in place): a
   * failure never leaves a partial file under the target's name. `~/` is the remote home;
   * `mkdirs: true` creates missing parents. See {@link put} for the details.
   * @throws SFTPError with the remote path and SFTP status (2 missing, 3 denied).
   */
  async put(source: PutSource, remotePath: string, options: PutOptions = {}): Promise<TransferResult> {
    return put(await this.sftp(signalOf(options)), source, remotePath, options)
  }

  /**
   * Downloads `remotePath` to a local path (atomically: temp file, then rename) or a stream;
   * Fabric's `get`. A failure never leaves a partial file at the destination. `~/` is the remote
   * home. See {@link get} for the details.
   * @throws SFTPError with the remote path and SFTP status.
   */
  async get(remotePath: string, dest: GetDestination, options: GetOptions = {}): Promise<TransferResult> {
    return get(await this.sftp(signalOf(options)), remotePath, dest, options)
  }

  /**
   * Listens locally and forwards each connection to `remoteHost:remotePort` from the server
   * (`ssh -L`); Fabric's `forward_local`. Closes with the connection.
   * @throws ForwardError when the local port cannot be bound.
   */
  async forwardLocal(options: LocalForwardOptions): Promise<LocalForward> {
    const forward = await forwardLocal(await this.#ready(options.signal), options)
    return this.#hold(forward)
  }

  /**
   * Asks the server to listen and forwards each connection to `localHost:localPort` here
   * (`ssh -R`); Fabric's `forward_remote`. Closes with the connection.
   * @throws ForwardError when the server refuses.
   */
  async forwardRemote(options: RemoteForwardOptions): Promise<RemoteForward> {
    const forward = await forwardRemote(await this.#ready(options.signal), options)
    return this.#hold(forward)
  }

  /** Opens a socket to `host:port` as seen from the server (a direct-tcpip channel). */
  async openSocket(host: string, port: number, options: SignalOption = {}): Promise<ChannelSocket> {
    const t = await this.#ready(options.signal)
    const ch = await t.openChannel('direct-tcpip', { dest: [host, port], ...(options.signal ? { signal: options.signal } : {}) })
    return ch.asSocket()
  }

  /** Closes forwards, SFTP and the transport; idempotent. The Connection may be opened again. */
  async close(): Promise<void> {
    this.#openController?.abort(new ConnectionLostError(`the connection to ${this.#label()} was closed while opening`))
    const all = new Resources()
    // Hops this connection built are closed after it, innermost first; a borrowed gateway stays open.
    for (const owned of this.#route.owned) all.use(owned)
    all.use(this.#held.move())
    await all.dispose()
  }

  /** Closes the connection; `await using c = new Connection(…)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  /** Holds `forward` until it closes (by itself or by `close()`, whichever is first). */
  #hold<T extends LocalForward | RemoteForward>(forward: T): T {
    const held = this.#held.defer(() => quietly(forward.close()))
    void forward.waitClosed().then(() => held[Symbol.dispose]())
    return forward
  }

  #label(): string {
    return `${this.user}@${this.hostname}:${this.port}`
  }

  /** Opens a session channel, starts it with `start` inside the session limiter, and returns it. */
  async #session(start: (ch: SessionChannel) => Promise<void>, options: SessionOptions, signal: AbortSignal | undefined): Promise<SessionChannel> {
    const t = await this.#ready(signal)
    const { value: ch, release } = await this.#limiter.run(async () => {
      const c = await t.openSession()
      if (options.pty) c.getPty(options.pty === true ? {} : options.pty)
      for (const [name, value] of Object.entries(sessionEnvironment(this.#settings.env, options.env))) c.setEnvironmentVariable(name, value)
      try {
        await start(c)
      } catch (err) {
        c.destroy()
        throw err
      }
      return c
    }, signal)
    ch.once('close', release)
    ch.exitStatus().then(release, release)
    return ch
  }

  async #ready(signal: AbortSignal | undefined): Promise<Transport> {
    signal?.throwIfAborted()
    const current = this.#transport
    if (current?.isAuthenticated) return current
    if (!this.#opening) {
      const controller = new AbortController()
      this.#openController = controller
      this.#opening = this.#connect(controller.signal).finally(() => {
        this.#opening = undefined
        if (this.#openController === controller) this.#openController = undefined
      })
    }
    const opening = this.#opening
    const controller = this.#openController
    this.#openWaiters++
    try {
      return await raceSignal(opening, signal)
    } finally {
      this.#openWaiters--
      if (signal?.aborted && this.#openWaiters === 0) controller?.abort(signal.reason)
    }
  }

  async #connect(signal: AbortSignal): Promise<Transport> {
    const settings = this.#settings
    const debug = this.#debug
    if (debug) explainOpen(debug, settings, this.#options.config, this.sshConfigWarnings, this.#route)
    const options = transportOptionsFor(settings, debug)
    const target = { host: this.host, hostname: this.hostname, port: this.port, user: this.user, label: this.#label() }
    const sock = await openRouteStream(this.#route, target, settings.connectTimeoutMs, this.#held, signal)
    const t = new Transport(sock ?? { host: this.hostname, port: this.port }, options)
    try {
      await t.startClient({ signal })
      await authenticate({ transport: t, username: this.user, target: `${this.hostname}:${this.port}`, settings, auth: this.#options.auth ?? {}, signal, debug })
    } catch (err) {
      t.destroy()
      throw err
    }
    watchRekeyLimit(t, settings.rekeyLimit, debug)
    const held = this.#held.defer(() => {
      if (this.#transport === t) this.#transport = undefined
      this.#sftp = undefined
      return t.close()
    })
    this.#closed = new Promise((resolve) => {
      t.once('close', (error) => {
        held[Symbol.dispose]()
        resolve(error)
        if (this.#transport !== t) return
        this.#transport = undefined
        this.#sftp = undefined
      })
    })
    this.#transport = t
    return t
  }
}

/** Waits for `closing`, ignoring its failure (a forward or SFTP client failing to close is closed anyway). */
async function quietly(closing: Promise<unknown>): Promise<void> {
  await closing.then(() => {}, () => {})
}

