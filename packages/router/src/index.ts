/**
 * `@x/router`: a routing SSH gateway in the spirit of CEA's sshproxy (DESIGN.md §5). So far: its
 * config file, the nodeset and duration notations, and the override rules. The public surface,
 * listed by hand.
 *
 * @packageDocumentation
 * @module @x/router
 */
export { expandNodeset, NodesetError, MAX_NODES } from './nodeset.js'
export { parseDuration, MAX_DURATION_MS } from './duration.js'
export { RouterConfigError } from './config/config-error.js'
export { parseRouterConfig, loadRouterConfig } from './config/router-config.js'
export type { RouterConfig, FrontAuthConfig, UpstreamConfig, EtcdConfig } from './config/router-config.js'
export { settingsFor, clauseHolds } from './config/route-settings.js'
export type { RouteSettings, RouteSelect, RouteMode, HostPort, MatchClause, MatchContext, Override } from './config/route-settings.js'
