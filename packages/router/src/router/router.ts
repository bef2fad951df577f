/**
 * The router (DESIGN.md §5): our SSH server in front, a Connection to the chosen host behind,
 * each client channel relayed to a channel of that Connection. Routing is a function; state goes
 * through one store; the listen addresses are the services.
 */
import { listen, type AuthPolicy, type ListenTransportOptions, type LoginContext, type RemoteListener, type SessionRequest, type SshServer } from '@x/server'
import type { Channel, PrivateKey, ServerChannel } from '@x/transport'
import type { Duplex } from 'node:stream'
import type { HostPort, RouteSettings } from '../config/route-settings.js'
import { HostProber } from '../health/host-prober.js'
import type { ProbePool } from '../health/prober-options.js'
import { orderCandidates, type Candidate } from '../select/order-candidates.js'
import { RoundRobinCounter } from '../select/round-robin-counter.js'
import { openFromHost, listenOnHost } from '../relay/forward-relay.js'
import { relaySession, UpstreamSessionError } from '../relay/session-relay.js'
import type { RouteContext, RouteEndpoint, RouteFunction } from '../route/route-context.js'
import { hostPortOf } from '../route/route-target.js'
import { unixGroupsOf } from '../route/unix-groups.js'
import { MemoryStore } from '../state/memory-store.js'
import type { RouterStore } from '../state/router-store.js'
import type { UpstreamOptions } from '../upstream/upstream-options.js'
import { RouteError } from './route-error.js'
import { emitRouterLog, type RouterLogEvent } from './router-log.js'
import { UpstreamLink } from './upstream-link.js'

/** Options of {@link Router}. */
export interface RouterOptions {
  /** Decides where each client connection goes; {@link Router.setRoute} replaces it for new connections. */
  readonly route: RouteFunction
  /** The router's host keys (one per type). */
  readonly hostKeys: readonly PrivateKey[]
  /** Who may log in to the router (the front leg), as `listen()` takes it. */
  readonly frontAuth: AuthPolicy
  /** How the router logs in to the hosts. */
  readonly upstream: UpstreamOptions
  /** Routing state: a store; default a {@link MemoryStore} of this instance (closed with the router; a given store is not). */
  readonly state?: RouterStore | undefined
  /**
   * The pools probed in the background (each host every `checkIntervalMs` when > 0); hosts
   * of other routes are probed right before use. {@link Router.setPools} replaces them.
   */
  readonly pools?: readonly ProbePool[] | undefined
  /** Health checking: a prober of its own (default, on the store), or one given (not closed with the router). */
  readonly prober?: HostProber | undefined
  /** The randomness of `random` selection, uniform on [0, 1); default `Math.random`. */
  readonly random?: (() => number) | undefined
  /** The Unix groups of a user (for routes that match on groups); default `id -Gn`. */
  readonly groups?: ((user: string) => Promise<readonly string[]>) | undefined
  /** Session channels per client connection (and per upstream connection); default 10. */
  readonly maxSessions?: number | undefined
  /** Unauthenticated client connections at once per listen address; default 10. */
  readonly maxStartups?: number | undefined
  /** Client connections at once per listen address; default 100. */
  readonly maxConnections?: number | undefined
  /** The front leg's transport options (keepalive, algorithms, banner, login grace). */
  readonly transport?: ListenTransportOptions | undefined
  /** Receives what happens, never a secret. */
  readonly log?: ((event: RouterLogEvent) => void) | undefined
}

/** A listen address of a router: what was asked (the service) and where it is bound. */
export interface RouterListener {
  /** The address as given to {@link Router.listen} (routing's `service`). */
  readonly service: RouteEndpoint
  /** Where it is bound (the port chosen for port 0). */
  readonly bound: RouteEndpoint
  /** The SSH server serving it. */
  readonly server: SshServer
}

/**
 * A routing SSH gateway. `await router.listen('0.0.0.0:2222')` serves one address; every client
 * channel (exec, shell with pty, subsystems such as sftp, `-L`/`-W`/`-D`, `-R`) is relayed to
 * the host the route chose.
 *
 * @example
 * ```ts
 * await using router = new Router({
 *   route: () => ({ dest: ['node1', 'node2'], routeSelect: 'round-robin' }),
 *   hostKeys: [await loadPrivateKey('/etc/x-ssh-router/host_ed25519')],
 *   frontAuth: { authorizedKeys: await AuthorizedKeys.load('/etc/x-ssh-router/keys') },
 *   upstream: { identity: '/etc/x-ssh-router/id_ed25519', knownHostsFiles: ['/etc/x-ssh-router/known_hosts'] },
 * })
 * await router.listen('127.0.0.1:2222')
 * ```
 */
export class Router {
  readonly #options: RouterOptions
  readonly #store: RouterStore
  readonly #ownStore: boolean
  readonly #prober: HostProber
  readonly #ownProber: boolean
  readonly #turns = new RoundRobinCounter()
  #route: RouteFunction
  #upstream: UpstreamOptions
  readonly #listeners: RouterListener[] = []
  readonly #links = new Map<LoginContext, { id: number; link: Promise<UpstreamLink>; server: SshServer }>()
  #nextId = 1
  #closing: Promise<void> | undefined

  constructor(options: RouterOptions) {
    if (!options || typeof options.route !== 'function') throw new TypeError('Router needs a route function')
    checkUpstream(options.upstream)
    this.#options = options
    this.#route = options.route
    this.#upstream = options.upstream
    this.#ownStore = options.state === undefined
    this.#store = options.state ?? new MemoryStore()
    this.#ownProber = options.prober === undefined
    this.#prober = options.prober ?? new HostProber({ store: this.#store, pools: options.pools })
    if (this.#ownProber) this.#prober.start()
  }

  /** The routing state. */
  get store(): RouterStore {
    return this.#store
  }

  /** The health prober. */
  get prober(): HostProber {
    return this.#prober
  }

  /** Replaces the pools probed in the background (a config reload). */
  setPools(pools: readonly ProbePool[]): void {
    this.#prober.setPools(pools)
  }

  /** The addresses served so far. */
  get listeners(): readonly RouterListener[] {
    return this.#listeners
  }

  /** Replaces the route function; connections routed from now on use it, live ones keep their host. */
  setRoute(route: RouteFunction): void {
    if (typeof route !== 'function') throw new TypeError('route must be a function')
    this.#route = route
  }

  /** Replaces how the router logs in to hosts; connections routed from now on use it. */
  setUpstream(upstream: UpstreamOptions): void {
    checkUpstream(upstream)
    this.#upstream = upstream
  }

  /**
   * Serves `address` (`host:port`, port 0 for a free one): it becomes a service routes see.
   * @throws ListenError when it cannot be bound.
   */
  async listen(address: string | RouteEndpoint): Promise<RouterListener> {
    if (this.#closing) throw new Error('the router is closed')
    const service = typeof address === 'string' ? (({ host, port }) => ({ address: host, port }))(hostPortOf(address, true)) : address
    const o = this.#options
    const session = (channel: ServerChannel, request: SessionRequest): Promise<void> => this.#session(server, service, channel, request)
    const server: SshServer = await listen({
      host: service.address,
      port: service.port,
      hostKeys: o.hostKeys,
      auth: o.frontAuth,
      exec: session,
      shell: session,
      subsystems: session,
      // The host's sshd decides what it accepts; the router passes everything on.
      acceptEnv: ['*'],
      forwarding: {
        local: true,
        remote: true,
        agent: true,
        connect: (login, host, port) => this.#connect(server, service, login, host, port),
        listen: (login, addr, port, open) => this.#remoteListen(server, service, login, addr, port, open),
      },
      maxSessions: o.maxSessions,
      maxStartups: o.maxStartups,
      maxConnections: o.maxConnections,
      transport: o.transport,
      log: o.log,
    })
    const a = server.address()
    const listener = { service, bound: { address: a.address, port: a.port }, server }
    this.#listeners.push(listener)
    return listener
  }

  /**
   * Stops accepting, lets live connections finish for up to `timeoutMs` (default 10 s), then
   * disconnects them; closes every upstream connection and the store it made. Idempotent.
   */
  close(options: { timeoutMs?: number | undefined } = {}): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.all(this.#listeners.map((l) => l.server.close(options)))
      await Promise.all([...this.#links.values()].map((e) => e.link.then((l) => l.close(), () => undefined)))
      if (this.#ownProber) await this.#prober.close()
      if (this.#ownStore) await this.#store.close()
    })()
    return this.#closing
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  #context(login: LoginContext, service: RouteEndpoint, command: string | undefined): RouteContext {
    let groups: Promise<readonly string[]> | undefined
    const lookup = this.#options.groups ?? unixGroupsOf
    return {
      user: login.username,
      groups: () => (groups ??= lookup(login.username)),
      client: login.remote,
      service,
      methods: login.methods,
      keyFingerprint: login.key?.fingerprint,
      command,
    }
  }

  /** The login's upstream link, routed and connected on first use. */
  #link(server: SshServer, service: RouteEndpoint, login: LoginContext, command: string | undefined): Promise<UpstreamLink> {
    const known = this.#links.get(login)
    if (known) return known.link
    const id = this.#nextId++
    const o = this.#options
    const store = this.#store
    const link = this.#closing
      ? Promise.reject(new RouteError('closing', 'x-ssh-router: the router is shutting down'))
      : UpstreamLink.open(this.#context(login, service, command), id, login.signal, {
          route: this.#route,
          store,
          order: (settings, user): Promise<Candidate[]> => orderCandidates(settings, user, store, { roundRobin: this.#turns, random: o.random }),
          probe: async (host, signal) => (await this.#prober.check(host, { signal })).up,
          reportFailure: (host) => void this.#prober.reportFailure(host).catch(() => undefined),
          upstream: this.#upstream,
          maxSessions: o.maxSessions ?? 10,
          clientTransport: [...server.connections].find((c) => c.login === login)?.transport,
          log: o.log,
        })
    link.catch(() => undefined)
    this.#links.set(login, { id, link, server })
    const forget = (): void => {
      this.#links.delete(login)
      link.then((l) => l.close(), () => undefined)
    }
    if (login.signal.aborted) forget()
    else login.signal.addEventListener('abort', forget, { once: true })
    link.then((l) => {
      l.waitClosed().then((why) => {
        if (login.signal.aborted) return
        emitRouterLog(o.log, { event: 'upstream-closed', id, host: l.host.text, code: (why as { code?: string } | undefined)?.code })
        // The host's leg is gone: so is the client's.
        for (const c of server.connections) if (c.login === login) void c.close()
      })
    }, () => undefined)
    return link
  }

  async #session(server: SshServer, service: RouteEndpoint, channel: ServerChannel, request: SessionRequest): Promise<void> {
    const first = request.kind === 'exec' ? request.command : request.kind === 'subsystem' ? request.subsystem : undefined
    let link: UpstreamLink
    try {
      link = await this.#link(server, service, request.login, first)
    } catch (err) {
      return refuseSession(channel, err instanceof RouteError ? err.banner : 'x-ssh-router: cannot route this connection')
    }
    const environment = Object.fromEntries(Object.entries(link.settings.environment).map(([k, v]) => [k, v.replaceAll('{user}', request.login.username)]))
    try {
      await relaySession(channel, request, link.transport, { environment, counter: link.counter })
    } catch (err) {
      if (!(err instanceof UpstreamSessionError)) throw err
      return refuseSession(channel, `x-ssh-router: ${err.message}`)
    }
  }

  async #connect(server: SshServer, service: RouteEndpoint, login: LoginContext, host: string, port: number): Promise<Duplex> {
    const link = await this.#link(server, service, login, undefined)
    const stream = await openFromHost(link.transport, host, port, [login.remote.address, login.remote.port])
    const counter = link.counter
    stream.on('data', (d: Buffer) => counter.toClient(d.length))
    return stream
  }

  async #remoteListen(server: SshServer, service: RouteEndpoint, login: LoginContext, address: string, port: number, open: (origin: readonly [string, number]) => Promise<Channel>): Promise<RemoteListener | false> {
    let link: UpstreamLink
    try {
      link = await this.#link(server, service, login, undefined)
    } catch {
      return false
    }
    try {
      return await listenOnHost(link.transport, address, port, open, link.counter)
    } catch {
      return false
    }
  }
}

function checkUpstream(upstream: UpstreamOptions): void {
  if (!upstream || !Array.isArray(upstream.knownHostsFiles) || upstream.knownHostsFiles.length === 0) {
    throw new TypeError('upstream.knownHostsFiles must name at least one known_hosts file: host keys are always checked')
  }
}

function refuseSession(channel: ServerChannel, banner: string): Promise<void> {
  return new Promise((resolve) => {
    if (channel.destroyed || channel.writableEnded) return resolve()
    channel.stderr.write(`${banner}\r\n`, () => {
      if (!channel.destroyed && !channel.writableEnded) channel.exit(1)
      resolve()
    })
  })
}
