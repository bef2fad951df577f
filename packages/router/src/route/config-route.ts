/** The YAML config as a {@link RouteFunction}: its top-level settings, then every matching override. */
import type { RouterConfig } from '../config/router-config.js'
import { settingsFor } from '../config/route-settings.js'
import type { RouteFunction, RouteTarget } from './route-context.js'

/**
 * Routes as `config` says (sshproxy 2.x overrides: every override whose match holds applies, in
 * file order). The user's groups are looked up only when an override matches on groups.
 */
export function configRoute(config: Pick<RouterConfig, 'settings' | 'overrides'>): RouteFunction {
  const needsGroups = config.overrides.some((o) => o.match.some((c) => c.groups !== undefined))
  return async (ctx): Promise<RouteTarget> => {
    const groups = needsGroups ? await ctx.groups() : []
    return settingsFor(config.settings, config.overrides, {
      user: ctx.user,
      groups,
      service: { host: ctx.service.address, port: ctx.service.port },
      client: ctx.client.address,
    })
  }
}
