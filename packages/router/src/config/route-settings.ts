/**
 * The settings that decide where one connection goes, as the config's top level gives them and
 * its `overrides` change them, and how a connection's context picks the overrides that apply
 * (sshproxy 2.x: every matching override, in file order; `environment` merges, the rest replace).
 */
import { BlockList, isIPv6 } from 'node:net'

/** The ways of choosing among the pool's hosts (sshproxy's route_select, plus round-robin). */
export type RouteSelect = 'ordered' | 'random' | 'connections' | 'bandwidth' | 'round-robin'

/** sshproxy's mode: `sticky` sends a user back to the host they are on; `balanced` chooses every time. */
export type RouteMode = 'sticky' | 'balanced'

/** A `host:port` as written in the config (`text`) and parsed. */
export interface HostPort {
  /** The name or address (IPv6 without brackets). */
  readonly host: string
  /** The TCP port. */
  readonly port: number
  /** `host:port`, IPv6 hosts in brackets: the key the router uses for the host everywhere. */
  readonly text: string
}

/** What one connection's routing uses. */
export interface RouteSettings {
  /** The name routing state is kept under (sticky history, per-user limits); default `default`. */
  readonly service: string
  /** The pool, in config order. */
  readonly dest: readonly HostPort[]
  /** How a host of the pool is chosen (sshproxy's route_select). */
  readonly routeSelect: RouteSelect
  /** Sticky or balanced (sshproxy's mode). */
  readonly mode: RouteMode
  /** How often hosts are probed, in ms; 0 probes before every use (sshproxy's empty check_interval). */
  readonly checkIntervalMs: number
  /** Live connections one user may have at once, counted over all services (as sshproxy counts); 0 means no limit. */
  readonly maxConnectionsPerUser: number
  /** Shown to a client that cannot be routed (no host up, refused by a limit); empty for none. */
  readonly errorBanner: string
  /** Variables set for the user's sessions on the host (`{user}` replaced by the user's name). */
  readonly environment: Readonly<Record<string, string>>
  /** How long a user stays sticky to a host after their last connection there ends (etcd_keyttl), in ms. */
  readonly stickyTtlMs: number
}

/** One AND clause of an override's `match`: every field given must hold. */
export interface MatchClause {
  /** User names, one of which must be the connection's. */
  readonly users?: readonly string[] | undefined
  /** Group names, one of which the user must be in. */
  readonly groups?: readonly string[] | undefined
  /** Listen addresses (the service the client reached); a source without a port matches any port. */
  readonly sources?: readonly { readonly host: string; readonly port: number | undefined }[] | undefined
  /** Client address ranges (CIDR or single addresses). */
  readonly clients?: BlockList | undefined
}

/** An override: applies `settings` when any clause of `match` holds. */
export interface Override {
  /** The config line it starts on, for messages. */
  readonly line: number
  /** Clauses of which any one must hold (OR of ANDs). */
  readonly match: readonly MatchClause[]
  /** The route settings it changes. */
  readonly settings: Partial<RouteSettings>
}

/** What routing knows of a connection when it picks its settings. */
export interface MatchContext {
  /** The user's name as the client gave it. */
  readonly user: string
  /** The Unix groups of the user. */
  readonly groups: readonly string[]
  /** The listen address the client reached, as `listen` writes it (0.0.0.0:2222 stays that). */
  readonly service: { readonly host: string; readonly port: number }
  /** The client's address. */
  readonly client: string
}

/** Whether `clause` holds for `ctx`. */
export function clauseHolds(clause: MatchClause, ctx: MatchContext): boolean {
  if (clause.users && !clause.users.includes(ctx.user)) return false
  if (clause.groups && !clause.groups.some((g) => ctx.groups.includes(g))) return false
  if (clause.sources && !clause.sources.some((s) => sameHost(s.host, ctx.service.host) && (s.port === undefined || s.port === ctx.service.port))) return false
  if (clause.clients && !clause.clients.check(ctx.client, isIPv6(ctx.client) ? 'ipv6' : 'ipv4')) return false
  return true
}

function sameHost(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase()
}

/** The settings for `ctx`: `base`, then every override whose match holds, in order. */
export function settingsFor(base: RouteSettings, overrides: readonly Override[], ctx: MatchContext): RouteSettings {
  let s = base
  for (const o of overrides) {
    if (!o.match.some((c) => clauseHolds(c, ctx))) continue
    const { environment, ...rest } = o.settings
    s = { ...s, ...rest, environment: environment ? { ...s.environment, ...environment } : s.environment }
  }
  return s
}
