/**
 * Decides how a Connection reaches its host: directly, through a jump chain (every hop resolving
 * its own ssh_config, owned and closed after the target), or through a ProxyCommand. Runs at construction, offline: a conflict, a jump loop or a
 * runaway chain is an error before any socket opens or any process starts.
 * @internal
 */
import { parseProxyJump, resolveGateway, type JumpHop } from '@x/gateway'
import { ConfigError } from '@x/transport'
import type { ConnectionOptions } from './connection-options.js'
import type { HostSettings } from './host-settings.js'

/** The most hops one route may chain, counting every level of nested ProxyJump. */
export const MAX_JUMP_HOPS = 16

/** What the route needs to know of a Connection (kept structural to avoid an import cycle). */
export interface RouteConnection {
  close(): Promise<void>
}

/** How a connection gets its byte stream. */
export type GatewayRoute<C extends RouteConnection> =
  | { readonly kind: 'direct'; readonly owned: readonly C[] }
  | { readonly kind: 'jump'; readonly via: C; readonly owned: readonly C[]; readonly source: string }
  | { readonly kind: 'proxy-command'; readonly command: string; readonly owned: readonly C[]; readonly source: string }

/** The hop being built: its place in the chain. @internal */
export interface HopContext<C> {
  /** Hosts already on the way here, outermost first: a repeat is a jump loop. */
  readonly trail: readonly string[]
  /** The hop before this one, when this hop is not the first of a ProxyJump list. */
  readonly via?: C | undefined
}

/** Builds one hop Connection (the Connection constructor, passed in to avoid an import cycle). */
export type MakeHop<C> = (hop: JumpHop, context: HopContext<C>) => C

/** Plans the route of `host` from explicit options and its ssh_config's ProxyJump / ProxyCommand. */
export function planRoute<C extends RouteConnection>(
  host: string,
  configured: HostSettings['gateway'],
  options: Pick<ConnectionOptions, 'proxyJump'> & { readonly gateway?: C | string | undefined },
  context: HopContext<C>,
  makeHop: MakeHop<C>,
): GatewayRoute<C> {
  // A later hop of a ProxyJump list goes through the hop before it, whatever its own ssh_config
  // says: OpenSSH reaches it with an explicit -J, which beats ProxyJump/ProxyCommand from files.
  if (context.via) return { kind: 'jump', via: context.via, owned: [], source: 'ProxyJump list' }
  const gateway = options.gateway
  const plan = resolveGateway(host, {
    explicit: {
      ...(gateway === undefined ? {} : { gateway: typeof gateway === 'string' ? { proxyCommand: gateway } : ('connection' as const) }),
      ...(options.proxyJump === undefined ? {} : { proxyJump: options.proxyJump }),
    },
    sshConfig: {
      ...(configured.proxyJump === undefined ? {} : { proxyjump: configured.proxyJump }),
      ...(configured.proxyCommand === undefined ? {} : { proxycommand: configured.proxyCommand }),
    },
  })
  switch (plan.kind) {
    case 'direct':
      return { kind: 'direct', owned: [] }
    case 'proxy-command':
      return { kind: 'proxy-command', command: plan.command, owned: [], source: plan.source }
    case 'jump': {
      if (plan.viaConnection) return { kind: 'jump', via: gateway as C, owned: [], source: plan.source }
      const hops = plan.hops ?? []
      const owned: C[] = []
      let via: C | undefined
      try {
        for (const hop of hops) {
          const key = hopKey(hop)
          if (context.trail.includes(key)) {
            throw new ConfigError(`jumphost loop: ${[...context.trail, key].join(' -> ')}`)
          }
          const trail = [...context.trail, key]
          if (trail.length > MAX_JUMP_HOPS) throw new ConfigError(`more than ${MAX_JUMP_HOPS} jump hops: ${trail.join(' -> ')}`)
          via = makeHop(hop, { trail, ...(via ? { via } : {}) })
          owned.push(via)
        }
      } catch (err) {
        // Hops are offline until opened; closing them only drops their own nested hops.
        for (const hop of owned.reverse()) void hop.close()
        throw err
      }
      if (!via) return { kind: 'direct', owned: [] }
      return { kind: 'jump', via, owned, source: plan.source }
    }
  }
}

/** The name a hop is known by in loop detection: as written, with its port when given. */
export function hopKey(hop: JumpHop): string {
  return hop.port === undefined ? hop.host : `${hop.host}:${hop.port}`
}
