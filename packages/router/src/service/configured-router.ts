/**
 * A {@link Router} run from a config file, as `x-ssh-router serve` runs it: host keys, front
 * auth, upstream and routes from the file, one listener per `listen` address, and a reload that
 * applies a new file to new connections at once — or keeps the old one and says why.
 */
import { loadPrivateKey } from '@x/transport'
import type { AuthPolicy } from '@x/server'
import { loadRouterConfig, type RouterConfig } from '../config/router-config.js'
import { configRoute } from '../route/config-route.js'
import { Router, type RouterListener, type RouterOptions } from '../router/router.js'
import { emitRouterLog, type RouterLogEvent } from '../router/router-log.js'
import type { RouterStore } from '../state/router-store.js'
import { ResilientStore } from '../state/resilient-store.js'
import type { UpstreamOptions } from '../upstream/upstream-options.js'
import type { ProbePool } from '../health/prober-options.js'
import { frontAuthPolicy } from './front-auth.js'

/** Options of {@link ConfiguredRouter.start}. */
export interface ConfiguredRouterOptions {
  /** Receives what happens, never a secret. */
  readonly log?: ((event: RouterLogEvent) => void) | undefined
  /** The store to use instead of the one the config names (tests, embedding). */
  readonly store?: RouterStore | undefined
  /** More Router options (limits, the front leg's transport options). */
  readonly router?: Partial<Omit<RouterOptions, 'route' | 'hostKeys' | 'frontAuth' | 'upstream' | 'state' | 'log'>> | undefined
}

/** Every pool the config can route to (top level and overrides), for background probing. */
export function poolsOf(config: RouterConfig): ProbePool[] {
  const s = config.settings
  return [{ dest: s.dest, checkIntervalMs: s.checkIntervalMs }, ...config.overrides.map((o) => ({ dest: o.settings.dest ?? s.dest, checkIntervalMs: o.settings.checkIntervalMs ?? s.checkIntervalMs }))]
}

function upstreamOf(config: RouterConfig): UpstreamOptions {
  const u = config.upstream
  return { user: u.user, identity: u.identity, knownHostsFiles: [u.knownHosts], proxyJump: u.proxyJump }
}

/** The parts of a config a reload cannot change without a restart. */
function fixedParts(c: RouterConfig): string {
  return JSON.stringify([c.listen.map((l) => l.text), c.hostKeys, c.frontAuth.authorizedKeys !== undefined, c.frontAuth.passwords !== undefined, c.etcd])
}

/** A router serving what its config file says. */
export class ConfiguredRouter {
  /** The router. */
  readonly router: Router
  readonly #path: string
  readonly #log: ((event: RouterLogEvent) => void) | undefined
  #config: RouterConfig
  readonly #auth: { policy: AuthPolicy }
  /** The store this router opened (closed with it), if it opened one. */
  #ownStore: RouterStore | undefined
  #reloading: Promise<void> = Promise.resolve()

  private constructor(path: string, config: RouterConfig, router: Router, auth: { policy: AuthPolicy }, log: ((event: RouterLogEvent) => void) | undefined) {
    this.#path = path
    this.#config = config
    this.router = router
    this.#auth = auth
    this.#log = log
  }

  /**
   * Reads the config at `path` and serves every `listen` address.
   * @throws RouterConfigError for a bad config; ListenError when an address cannot be bound.
   */
  static async start(path: string, options: ConfiguredRouterOptions = {}): Promise<ConfiguredRouter> {
    const config = await loadRouterConfig(path)
    const [hostKeys, auth] = await Promise.all([Promise.all(config.hostKeys.map((f) => loadPrivateKey(f))), frontAuthPolicy(config.frontAuth)])
    const log = options.log
    const ownStore = options.store === undefined && config.etcd ? await ResilientStore.open(config.etcd, { warn: (message) => emitRouterLog(log, { event: 'store', message }) }) : undefined
    const store = options.store ?? ownStore
    // listen() fixes which methods are offered; what they check follows reloads through this holder.
    const holder = { policy: auth }
    const current = (): AuthPolicy => holder.policy
    const router = new Router({
      ...options.router,
      route: configRoute(config),
      hostKeys,
      frontAuth: {
        ...(auth.authorizedKeys ? { authorizedKeys: async (user: string) => {
          const k = current().authorizedKeys
          return typeof k === 'function' ? k(user) : k
        } } : {}),
        ...(auth.password ? { password: async (user: string, password: string) => (await current().password?.(user, password)) === true } : {}),
      },
      upstream: upstreamOf(config),
      pools: poolsOf(config),
      state: store,
      log: options.log,
    })
    const self = new ConfiguredRouter(path, config, router, holder, options.log)
    self.#ownStore = ownStore
    try {
      for (const l of config.listen) await router.listen({ address: l.host, port: l.port })
    } catch (err) {
      await self.close({ timeoutMs: 0 })
      throw err
    }
    return self
  }

  /** The config in force. */
  get config(): RouterConfig {
    return this.#config
  }

  /** The addresses served. */
  get listeners(): readonly RouterListener[] {
    return this.router.listeners
  }

  /**
   * Reads the file again and applies it to new connections (routes, upstream, the contents of
   * the front auth files); live sessions keep their host. A bad file, or one that changes what
   * needs a restart (listen, host_keys, which front_auth methods, etcd), keeps the old config.
   * @throws RouterConfigError (or the reason) when the new config is refused.
   */
  reload(): Promise<void> {
    const run = this.#reloading.then(async () => {
      try {
        const next = await loadRouterConfig(this.#path)
        if (fixedParts(next) !== fixedParts(this.#config)) throw new Error('listen, host_keys, the front_auth methods and etcd change only with a restart')
        const auth = await frontAuthPolicy(next.frontAuth)
        const upstream = upstreamOf(next)
        // Every part checked before any is applied: a reload is all or nothing.
        this.router.setUpstream(upstream)
        this.router.setRoute(configRoute(next))
        this.router.setPools(poolsOf(next))
        this.#auth.policy = auth
        this.#config = next
        emitRouterLog(this.#log, { event: 'config-reload', ok: true })
      } catch (err) {
        emitRouterLog(this.#log, { event: 'config-reload', ok: false, message: err instanceof Error ? err.message : String(err) })
        throw err
      }
    })
    this.#reloading = run.catch(() => undefined)
    return run
  }

  /** Drains and closes the router (see {@link Router.close}). */
  async close(options: { timeoutMs?: number | undefined } = {}): Promise<void> {
    await this.router.close(options)
    await this.#ownStore?.close()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}
