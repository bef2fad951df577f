/**
 * One client connection of a {@link SshServer}: its server-role transport, the login policy, and
 * the dispatch of its channels, with authorized_keys restrictions and the server's limits applied
 * here, where requests arrive, so no handler can forget them (DESIGN.md §5).
 */
import type { Socket } from 'node:net'
import { isAbsolute } from 'node:path'
import { matchPattern, Transport, type ServerChannel, type ServerInterface, type SSHError } from '@x/transport'
import type { Endpoint, ForwardDecision, LoginContext, ResolvedListenOptions } from './listen-options.js'
import { Forwardings } from './forwarding.js'
import { StreamLocalForwardings } from './streamlocal-forwarding.js'
import { LoginPolicy } from './login-policy.js'
import { emitLog } from './server-log.js'
import { accountOf, handlerFor, runSessionChannel } from './session-runner.js'

async function decide<A extends unknown[]>(decision: ForwardDecision<A> | undefined, login: LoginContext, ...args: A): Promise<boolean> {
  if (typeof decision === 'function') return (await decision(login, ...args)) === true
  return decision === true
}

/** The errno-like code of a failure, for a log line (never its message: it may name more than we want). */
function codeOf(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : 'error'
}

/** A connection the server accepted; read-only to users of {@link SshServer.connections}. */
export class ServerConnection {
  /** A number unique within the server, as in its log events. */
  readonly id: number
  /** The client's end. */
  readonly remote: Endpoint
  /** Our end. */
  readonly local: Endpoint
  /** The connection's server-role transport. */
  readonly transport: Transport<'server'>
  readonly #options: ResolvedListenOptions
  readonly #auth: LoginPolicy
  readonly #forwardings = new Forwardings()
  readonly #streamLocal = new StreamLocalForwardings()
  readonly #abort = new AbortController()
  readonly #ended: Promise<SSHError | undefined>
  #login: LoginContext | undefined
  #sessions = 0
  #channels = 0

  /** Starts serving `socket`. @internal */
  constructor(socket: Socket, id: number, options: ResolvedListenOptions) {
    this.id = id
    this.#options = options
    this.remote = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 }
    this.local = { address: socket.localAddress ?? '', port: socket.localPort ?? 0 }
    this.#auth = new LoginPolicy(options.auth, this.remote, id, options.log)
    const { algorithms, keepalive, closeGraceMs, ...server } = options.transport ?? {}
    this.transport = new Transport<'server'>(socket, { algorithms, keepalive, closeGraceMs, server })
    for (const key of options.hostKeys) this.transport.addServerKey(key)
    this.#ended = this.transport.wait().then(async (error) => {
      this.#abort.abort()
      this.#forwardings.close()
      await this.#streamLocal.close()
      emitLog(options.log, { event: 'disconnect', id, code: error?.code, message: error?.message })
      return error
    })
    this.transport.on('authenticated', () => this.#onLogin())
    this.transport.startServer(this.#interface()).then(
      () => this.#acceptLoop(),
      () => undefined, // the end is reported through wait()
    )
  }

  /** The login, once authentication succeeded. */
  get login(): LoginContext | undefined {
    return this.#login
  }

  /** Resolves when the connection ended: undefined when closed by us, else why. */
  wait(): Promise<SSHError | undefined> {
    return this.#ended
  }

  /** Disconnects (SSH_MSG_DISCONNECT); resolves once it ended. */
  async close(): Promise<void> {
    await this.transport.close()
  }

  /** Drops the connection at once. */
  destroy(): void {
    this.transport.destroy()
  }

  #onLogin(): void {
    const done = this.#auth.completed
    if (!done) return this.destroy()
    this.#login = Object.freeze({
      username: done.username,
      methods: done.methods,
      key: done.key,
      restrictions: done.restrictions,
      remote: this.remote,
      local: this.local,
      clientVersion: this.transport.remoteVersion,
      signal: this.#abort.signal,
    })
    emitLog(this.#options.log, { event: 'login', id: this.id, user: done.username, methods: done.methods })
  }

  #refuse(what: string, detail?: string): false {
    emitLog(this.#options.log, { event: 'refused', id: this.id, what, detail })
    return false
  }

  #count(channel: ServerChannel, session: boolean): void {
    this.#channels++
    if (session) this.#sessions++
    channel.once('close', () => {
      this.#channels--
      if (session) this.#sessions--
    })
  }

  #interface(): ServerInterface {
    const o = this.#options
    const a = this.#auth
    return {
      getAllowedAuths: (ctx) => a.allowed(ctx),
      checkAuthPublicKey: (ctx, key, signed) => a.publicKey(ctx, key, signed),
      ...(o.auth.password ? { checkAuthPassword: (ctx, password) => a.password(ctx, password) } : {}),
      ...(o.auth.password || o.auth.keyboardInteractive ? { checkAuthInteractive: (ctx, ask) => a.interactive(ctx, ask) } : {}),
      checkChannelRequest: (_kind, channel) => {
        if (!this.#login) return false
        if (this.#sessions >= o.maxSessions || this.#channels >= o.maxChannels) return this.#refuse('session', 'too many channels')
        this.#count(channel, true)
        return true
      },
      checkPtyRequest: () => (this.#login?.restrictions.allowPty() ? o.shell !== undefined || o.exec !== undefined : this.#refuse('pty')),
      checkEnvRequest: (_ch, name) => o.acceptEnv.some((p) => matchPattern(name, p)),
      checkWindowChangeRequest: (ch) => ch.pty !== undefined,
      checkShellRequest: () => this.#canStart('shell', undefined),
      checkExecRequest: () => this.#canStart('exec', undefined),
      checkSubsystemRequest: (_ch, name) => this.#canStart('subsystem', name),
      checkDirectTcpip: async (_origin, [host, port]) => {
        const login = this.#login
        if (!login) return false
        const r = login.restrictions
        if (!r.allowPortForwarding() || !r.allowOpen(host, port)) return this.#refuse('direct-tcpip', `${host}:${port} (authorized_keys)`)
        if (this.#channels >= o.maxChannels) return this.#refuse('direct-tcpip', 'too many channels')
        if (!(await decide(o.forwarding?.local, login, host, port))) return this.#refuse('direct-tcpip', `${host}:${port}`)
        emitLog(o.log, { event: 'forward', id: this.id, kind: 'local', host, port })
        return true
      },
      checkPortForwardRequest: async (address, port) => {
        const login = this.#login
        if (!login) return false
        const r = login.restrictions
        if (!r.allowPortForwarding() || !r.allowListen(address, port)) return this.#refuse('tcpip-forward', `${address}:${port} (authorized_keys)`)
        if (!(await decide(o.forwarding?.remote, login, address, port))) return this.#refuse('tcpip-forward', `${address}:${port}`)
        const make = o.forwarding?.listen
        const bound = await this.#forwardings.listen(this.transport, address, port, make ? (a, p, open) => make(login, a, p, open) : undefined)
        if (bound !== false) emitLog(o.log, { event: 'forward', id: this.id, kind: 'remote', host: address, port: bound })
        return bound
      },
      checkAgentForwardRequest: async () => {
        const login = this.#login
        if (!login?.restrictions.allowAgentForwarding() || !(await decide(o.forwarding?.agent, login))) return this.#refuse('auth-agent-req')
        return true
      },
      cancelPortForwardRequest: (address, port) => {
        this.#forwardings.cancel(address, port)
      },
      checkDirectStreamLocal: async (path) => {
        const login = this.#login
        if (!this.#mayForwardPath('direct-streamlocal', login, path)) return false
        if (this.#channels >= o.maxChannels) return this.#refuse('direct-streamlocal', 'too many channels')
        if (!(await decide(o.forwarding?.streamLocal?.local, login, path))) return this.#refuse('direct-streamlocal', path)
        try {
          await this.#streamLocal.prepare(path, await accountOf(o, login.username))
        } catch (err) {
          return this.#refuse('direct-streamlocal', `${path} (${codeOf(err)})`)
        }
        emitLog(o.log, { event: 'forward', id: this.id, kind: 'local-streamlocal', path })
        return true
      },
      checkStreamLocalForwardRequest: async (path) => {
        const login = this.#login
        if (!this.#mayForwardPath('streamlocal-forward', login, path)) return false
        const policy = o.forwarding?.streamLocal
        if (!(await decide(policy?.remote, login, path))) return this.#refuse('streamlocal-forward', path)
        try {
          const bind = { mask: policy?.bindMask ?? 0o177, unlinkFirst: policy?.bindUnlink === true }
          await this.#streamLocal.listen(this.transport, path, await accountOf(o, login.username), bind)
        } catch (err) {
          return this.#refuse('streamlocal-forward', `${path} (${codeOf(err)})`)
        }
        emitLog(o.log, { event: 'forward', id: this.id, kind: 'remote-streamlocal', path })
        return true
      },
      cancelStreamLocalForwardRequest: async (path) => {
        // sshd answers failure for a path it does not listen on; a throw is how the transport refuses.
        if (!(await this.#streamLocal.cancel(path))) throw new Error('no such streamlocal listener')
      },
    }
  }

  /** Whether a streamlocal open or request may go on to the policy: logged in, no authorized_keys ban, an absolute path. */
  #mayForwardPath(what: string, login: LoginContext | undefined, path: string): login is LoginContext {
    if (!login) return false
    if (!login.restrictions.allowPortForwarding()) return this.#refuse(what, `${path} (authorized_keys)`)
    if (!isAbsolute(path)) return this.#refuse(what, `${path} (relative path)`)
    return true
  }

  #canStart(kind: 'shell' | 'exec' | 'subsystem', subsystem: string | undefined): boolean {
    const login = this.#login
    if (!login) return false
    const forced = login.restrictions.forcedCommand !== undefined
    const handler = handlerFor(this.#options, { kind, subsystem, forced })
    return handler !== undefined || this.#refuse(kind, subsystem)
  }

  async #acceptLoop(): Promise<void> {
    for (;;) {
      const channel = await this.transport.accept()
      if (!channel) return
      const login = this.#login
      if (!login) {
        channel.destroy()
        continue
      }
      if (channel.kind === 'session') {
        void runSessionChannel(channel, login, this.#options, this.id, this.transport)
      } else if (channel.kind === 'direct-tcpip' && channel.destination) {
        this.#count(channel, false)
        const [host, port] = channel.destination
        const connect = this.#options.forwarding?.connect
        this.#forwardings.connect(channel, host, port, connect ? () => connect(login, host, port) : undefined)
      } else if (channel.kind === 'direct-streamlocal@openssh.com' && channel.socketPath !== undefined) {
        this.#count(channel, false)
        this.#streamLocal.relayChannel(channel, channel.socketPath)
      } else {
        channel.destroy()
      }
    }
  }
}
