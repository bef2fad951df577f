/**
 * One client connection's link to its host: routed once (the first channel or forwarding asks),
 * connected with failover — if the chosen host fails, the next candidate is tried before the
 * client sees anything — admitted by the store under the per-user limit, and closed with the
 * client connection (the host is then remembered for stickiness).
 */
import { userInfo } from 'node:os'
import type { Connection } from '@x/connection'
import { openAgentSocket, type AgentSocket } from '@x/server'
import type { Transport } from '@x/transport'
import type { HostPort, RouteSettings } from '../config/route-settings.js'
import { ByteCounter } from '../relay/byte-counter.js'
import type { Candidate } from '../select/order-candidates.js'
import type { RouteContext, RouteFunction } from '../route/route-context.js'
import { settingsOfTarget } from '../route/route-target.js'
import type { ConnectionTicket, RouterStore } from '../state/router-store.js'
import { upstreamConnection, type UpstreamOptions } from '../upstream/upstream-options.js'
import { RouteError } from './route-error.js'
import { emitRouterLog, type RouteRefusal, type RouterLogEvent } from './router-log.js'

/** Failures that say the host is unreachable (mark it down), not that it refused this login. */
const UNREACHABLE = new Set(['ERR_SSH_CONNECT', 'ERR_SSH_TIMEOUT', 'ERR_SSH_HANDSHAKE', 'ERR_SSH_CONNECTION_LOST'])
const RATES_INTERVAL_MS = 2_000

/** What a link needs from its router. @internal */
export interface LinkDeps {
  readonly route: RouteFunction
  readonly store: RouterStore
  /** The pool's hosts in the order to try them (sticky host first, unusable ones left out). */
  readonly order: (settings: RouteSettings, user: string) => Promise<Candidate[]>
  /** Probes a candidate whose health record is missing or stale; false skips it. */
  readonly probe: (host: HostPort, signal: AbortSignal) => Promise<boolean>
  /** Tells health checking that a real attempt found `host` unreachable. */
  readonly reportFailure: (host: HostPort) => void
  readonly upstream: UpstreamOptions
  readonly maxSessions: number
  /** The client connection's transport, whose agent the host's sessions may reach. */
  readonly clientTransport: Transport<'server'> | undefined
  readonly log: ((event: RouterLogEvent) => void) | undefined
}

function codeOf(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : 'error'
}

const DEFAULT_BANNERS: Record<RouteRefusal, string> = {
  'no-route': 'x-ssh-router: there is no route for this connection',
  'no-host': 'x-ssh-router: no host is available',
  limit: 'x-ssh-router: too many simultaneous connections',
  store: 'x-ssh-router: the routing state is unavailable',
  closing: 'x-ssh-router: the router is shutting down',
}

function refuse(reason: RouteRefusal, banner: string, cause?: unknown): RouteError {
  return new RouteError(reason, banner !== '' ? banner : DEFAULT_BANNERS[reason], cause === undefined ? undefined : { cause })
}

/** A client connection's routed upstream. @internal */
export class UpstreamLink {
  readonly host: HostPort
  readonly settings: RouteSettings
  readonly connection: Connection
  readonly transport: Transport
  readonly counter = new ByteCounter()
  readonly #ticket: ConnectionTicket
  readonly #timer: NodeJS.Timeout
  readonly #agent: AgentSocket | undefined
  #closing: Promise<void> | undefined

  private constructor(host: HostPort, settings: RouteSettings, connection: Connection, ticket: ConnectionTicket, agent: AgentSocket | undefined) {
    this.#agent = agent
    this.host = host
    this.settings = settings
    this.connection = connection
    this.transport = connection.transport!
    this.#ticket = ticket
    this.#timer = setInterval(() => {
      const r = this.counter.rates()
      ticket.updateRates(r.toHost, r.toClient).catch(() => undefined)
    }, RATES_INTERVAL_MS).unref()
  }

  /**
   * Routes `ctx` and connects. `id` names the client connection in log events.
   * @throws RouteError when no host can take the connection.
   */
  static async open(ctx: RouteContext, id: number, clientSignal: AbortSignal, deps: LinkDeps): Promise<UpstreamLink> {
    let target
    try {
      target = await deps.route(ctx)
    } catch (err) {
      throw refused(deps, id, ctx.user, refuse('no-route', '', err))
    }
    if (!target) throw refused(deps, id, ctx.user, refuse('no-route', ''))
    let settings: RouteSettings
    try {
      settings = settingsOfTarget(target)
    } catch (err) {
      throw refused(deps, id, ctx.user, refuse('no-route', '', err))
    }
    const banner = settings.errorBanner
    const limit = settings.maxConnectionsPerUser
    let candidates: Candidate[]
    try {
      // A cheap early refusal; the store's admit below is what enforces the limit.
      if (limit > 0 && (await deps.store.connections({ user: ctx.user })).length >= limit) throw refused(deps, id, ctx.user, refuse('limit', banner))
      candidates = await deps.order(settings, ctx.user)
    } catch (err) {
      if (err instanceof RouteError) throw err
      throw refused(deps, id, ctx.user, refuse('store', banner, err))
    }
    const agent = deps.clientTransport ? await openAgentSocket(deps.clientTransport, routerAccount()).catch(() => undefined) : undefined
    try {
      return await UpstreamLink.#connect(ctx, id, clientSignal, deps, settings, candidates, agent)
    } catch (err) {
      await agent?.close()
      throw err
    }
  }

  static async #connect(ctx: RouteContext, id: number, clientSignal: AbortSignal, deps: LinkDeps, settings: RouteSettings, candidates: Candidate[], agent: AgentSocket | undefined): Promise<UpstreamLink> {
    const banner = settings.errorBanner
    const limit = settings.maxConnectionsPerUser
    let attempts = 0
    for (const { dest: host, needsProbe, sticky } of candidates) {
      if (clientSignal.aborted) break
      if (needsProbe && !(await deps.probe(host, clientSignal).catch(() => false))) continue
      attempts++
      const connection = upstreamConnection(host, ctx.user, deps.upstream, deps.maxSessions, agent?.path)
      const stop = (): void => void connection.close()
      clientSignal.addEventListener('abort', stop, { once: true })
      try {
        await connection.open({ signal: clientSignal })
      } catch (err) {
        clientSignal.removeEventListener('abort', stop)
        await connection.close().catch(() => undefined)
        const code = codeOf(err)
        emitRouterLog(deps.log, { event: 'upstream-failed', id, user: ctx.user, host: host.text, code })
        if (UNREACHABLE.has(code)) deps.reportFailure(host)
        continue
      }
      clientSignal.removeEventListener('abort', stop)
      let ticket: ConnectionTicket | null
      try {
        ticket = await deps.store.admit({ user: ctx.user, service: settings.service, host: host.text, client: `${ctx.client.address}:${ctx.client.port}` }, limit)
      } catch (err) {
        await connection.close().catch(() => undefined)
        throw refused(deps, id, ctx.user, refuse('store', banner, err))
      }
      if (!ticket) {
        await connection.close().catch(() => undefined)
        throw refused(deps, id, ctx.user, refuse('limit', banner))
      }
      if (clientSignal.aborted) {
        await ticket.release(0).catch(() => undefined)
        await connection.close().catch(() => undefined)
        break
      }
      emitRouterLog(deps.log, { event: 'route', id, user: ctx.user, service: settings.service, host: host.text, sticky, attempts })
      return new UpstreamLink(host, settings, connection, ticket, agent)
    }
    throw refused(deps, id, ctx.user, refuse(clientSignal.aborted ? 'closing' : 'no-host', banner))
  }

  /** Resolves when the upstream connection ended, with why (undefined when we closed it). */
  waitClosed(): Promise<unknown> {
    return this.connection.waitClosed()
  }

  /** Closes the upstream connection and releases the store's entry (remembering the host for stickiness); idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#timer)
      await this.connection.close().catch(() => undefined)
      await this.#agent?.close().catch(() => undefined)
      await this.#ticket.release(this.settings.mode === 'sticky' ? this.settings.stickyTtlMs : 0).catch(() => undefined)
    })()
    return this.#closing
  }
}

function refused(deps: LinkDeps, id: number, user: string, err: RouteError): RouteError {
  emitRouterLog(deps.log, { event: 'route-refused', id, user, reason: err.reason })
  return err
}

/** The account the router runs as: its agent sockets stay its own. */
function routerAccount(): { name: string; uid: number; gid: number; home: string; shell: string } {
  const me = userInfo()
  return { name: me.username, uid: me.uid, gid: me.gid, home: me.homedir, shell: me.shell ?? '' }
}
