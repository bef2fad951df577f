/** A listening SSH server: the TCP listener, its connections and its limits. */
import { createServer, type Server, type Socket } from 'node:net'
import { ServerConnection } from './server-connection.js'
import type { Endpoint, ListenOptions, ResolvedListenOptions } from './listen-options.js'
import { resolveListenOptions } from './listen-options.js'
import { ListenError } from './listen-error.js'
import { emitLog } from './server-log.js'

/** Options of {@link SshServer.close}. */
export interface CloseOptions {
  /** How long logged-in connections may go on before they are disconnected; default 10 000. */
  readonly timeoutMs?: number | undefined
}

/**
 * A running SSH server made by {@link listen}: where it listens, its live connections, and a
 * graceful {@link close} (stop accepting, let sessions finish, then disconnect) or an immediate
 * {@link destroy}. `await using srv = await listen(…)` closes it.
 */
export class SshServer {
  readonly #net: Server
  readonly #options: ResolvedListenOptions
  readonly #connections = new Set<ServerConnection>()
  #nextId = 1
  #closing: Promise<void> | undefined

  /** Wraps a bound listener. @internal */
  constructor(net: Server, options: ResolvedListenOptions) {
    this.#net = net
    this.#options = options
    net.on('connection', (socket) => this.#accept(socket))
  }

  /** Where the server listens. */
  address(): Endpoint {
    const a = this.#net.address()
    if (a && typeof a === 'object') return { address: a.address, port: a.port }
    if (typeof a === 'string') return { address: a, port: 0 }
    return { address: this.#options.host, port: this.#options.port }
  }

  /** The live connections, authenticated or not. */
  get connections(): ReadonlySet<ServerConnection> {
    return this.#connections
  }

  /** Whether close() or destroy() was called. */
  get closing(): boolean {
    return this.#closing !== undefined
  }

  #unauthenticated(): number {
    let n = 0
    for (const c of this.#connections) if (!c.login) n++
    return n
  }

  #accept(socket: Socket): void {
    const o = this.#options
    const remote = `${socket.remoteAddress ?? ''}:${socket.remotePort ?? 0}`
    const reason = this.#closing ? 'closing' : this.#connections.size >= o.maxConnections ? 'max-connections' : this.#unauthenticated() >= o.maxStartups ? 'max-startups' : undefined
    if (reason) {
      emitLog(o.log, { event: 'dropped', remote, reason })
      socket.destroy()
      return
    }
    socket.setNoDelay(true)
    const id = this.#nextId++
    emitLog(o.log, { event: 'connect', id, remote })
    let conn: ServerConnection
    try {
      conn = new ServerConnection(socket, id, o)
    } catch {
      socket.destroy()
      return
    }
    this.#connections.add(conn)
    void conn.wait().then(() => this.#connections.delete(conn))
  }

  /**
   * Stops accepting, disconnects connections still authenticating, waits up to `timeoutMs` for
   * logged-in ones to end by themselves, then disconnects the rest. Idempotent.
   */
  close(options: CloseOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 10_000
    if (!(timeoutMs >= 0)) throw new RangeError('timeoutMs must be ≥ 0')
    this.#closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => this.#net.close(() => resolve()))
      for (const c of this.#connections) if (!c.login) c.destroy()
      const all = (): Promise<unknown> => Promise.all([...this.#connections].map((c) => c.wait()))
      let timer: NodeJS.Timeout | undefined
      await Promise.race([all(), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))])
      clearTimeout(timer)
      await Promise.all([...this.#connections].map((c) => c.close()))
      await stopped
    })()
    return this.#closing
  }

  /** Drops every connection and stops listening at once. */
  destroy(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => this.#net.close(() => resolve()))
    for (const c of this.#connections) c.destroy()
    return this.#closing
  }

  /** `await using srv = await listen(…)`: {@link close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

/**
 * Starts an SSH server: listens on `host:port` and serves every connection with the
 * options' authentication, sessions, SFTP and forwarding, authorized_keys options enforced
 * centrally. Resolves once it listens.
 *
 * @throws ListenError when the address cannot be listened on.
 * @example
 * ```ts
 * await using srv = await listen({
 *   port: 2222, hostKeys: [await loadPrivateKey('host_ed25519')],
 *   auth: { authorizedKeys: await AuthorizedKeys.load('authorized_keys') },
 *   exec: 'process', shell: 'process', sftp: fsSftp({ root: '/srv/data' }),
 * })
 * ```
 */
export async function listen(options: ListenOptions): Promise<SshServer> {
  const o = resolveListenOptions(options)
  o.signal?.throwIfAborted()
  const net = createServer({ pauseOnConnect: false })
  await new Promise<void>((resolve, reject) => {
    net.once('error', (err) => reject(new ListenError(`cannot listen on ${o.path ?? `${o.host}:${o.port}`}: ${(err as NodeJS.ErrnoException).code ?? err.message}`, { host: o.host, port: o.port }, { cause: err })))
    if (o.path !== undefined) net.listen({ path: o.path }, () => resolve())
    else net.listen({ host: o.host, port: o.port }, () => resolve())
  })
  net.removeAllListeners('error')
  net.on('error', () => undefined)
  const server = new SshServer(net, o)
  const a = server.address()
  emitLog(o.log, { event: 'listening', address: a.address, port: a.port })
  o.signal?.addEventListener('abort', () => void server.destroy(), { once: true })
  return server
}
