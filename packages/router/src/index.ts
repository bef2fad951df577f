/**
 * `@x/router`: a routing SSH gateway in the spirit of CEA's sshproxy (DESIGN.md §5): our SSH
 * server in front, a Connection to the chosen host of a pool behind, every client channel
 * relayed; routing as a function with the YAML config as one; state behind one store interface.
 * The public surface, listed by hand.
 *
 * @packageDocumentation
 * @module @x/router
 */
export { Router } from './router/router.js'
export type { RouterOptions, RouterListener } from './router/router.js'
export { RouteError } from './router/route-error.js'
export type { RouterLogEvent, RouterEvent, RouteRefusal } from './router/router-log.js'
export type { RouteContext, RouteEndpoint, RouteFunction, RouteTarget } from './route/route-context.js'
export { settingsOfTarget, hostPortOf } from './route/route-target.js'
export { configRoute } from './route/config-route.js'
export { unixGroupsOf } from './route/unix-groups.js'
export type { UpstreamOptions } from './upstream/upstream-options.js'
export { DEFAULT_UPSTREAM_CONNECT_TIMEOUT_MS } from './upstream/upstream-options.js'
export { UpstreamSessionError } from './relay/session-relay.js'
export { orderCandidates } from './select/order-candidates.js'
export type { Candidate, SelectSettings, OrderCandidatesOptions } from './select/order-candidates.js'
export { RoundRobinCounter } from './select/round-robin-counter.js'
export { hostCandidacy } from './select/candidacy.js'
export type { Candidacy } from './select/candidacy.js'
export { HostProber } from './health/host-prober.js'
export type { HostProberEvents, CheckOptions } from './health/host-prober.js'
export type { HostProberOptions, ProbePool } from './health/prober-options.js'
export { HostProberClosedError } from './health/prober-closed-error.js'
export { probeSsh, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_BANNER_TIMEOUT_MS } from './health/probe-ssh.js'
export type { ProbeOutcome, ProbeFailure, ProbeSshOptions } from './health/probe-ssh.js'
export { DEFAULT_RISE, DEFAULT_FALL } from './health/rise-fall.js'
export { ConfiguredRouter } from './service/configured-router.js'
export type { ConfiguredRouterOptions } from './service/configured-router.js'
export { EtcdStore, DEFAULT_ETCD_PREFIX } from './state/etcd-store.js'
export type { EtcdStoreOptions } from './state/etcd-store.js'
export { ResilientStore } from './state/resilient-store.js'
export type { ResilientStoreOptions } from './state/resilient-store.js'
export { MemoryStore } from './state/memory-store.js'
export type { MemoryStoreOptions } from './state/memory-store.js'
export { RouterStoreError } from './state/router-store.js'
export type { RouterStore, HostHealth, HostRecord, LiveConnection, ConnectionClaim, ConnectionTicket, ConnectionFilter } from './state/router-store.js'
export { expandNodeset, NodesetError, MAX_NODES } from './nodeset.js'
export { parseDuration, MAX_DURATION_MS } from './duration.js'
export { RouterConfigError } from './config/config-error.js'
export { parseRouterConfig, loadRouterConfig } from './config/router-config.js'
export type { RouterConfig, FrontAuthConfig, UpstreamConfig, EtcdConfig } from './config/router-config.js'
export { settingsFor, clauseHolds } from './config/route-settings.js'
export type { RouteSettings, RouteSelect, RouteMode, HostPort, MatchClause, MatchContext, Override } from './config/route-settings.js'
