/**
 * The effective routes of a config as `x-ssh-router check` prints them: the services, the
 * top-level settings, and each override with what it matches and what it changes.
 * @internal
 */
import type { RouterConfig } from '../config/router-config.js'
import type { MatchClause, RouteSettings } from '../config/route-settings.js'

function ms(n: number): string {
  if (n !== 0 && n % 3_600_000 === 0) return `${n / 3_600_000}h`
  if (n !== 0 && n % 60_000 === 0) return `${n / 60_000}m`
  return n % 1000 === 0 ? `${n / 1000}s` : `${n}ms`
}

function settingLines(s: Partial<RouteSettings>, indent: string): string[] {
  const out: string[] = []
  if (s.service !== undefined) out.push(`service: ${s.service}`)
  if (s.dest !== undefined) out.push(`dest (${s.dest.length}): ${s.dest.map((d) => d.text).join(' ') || '(none)'}`)
  if (s.routeSelect !== undefined) out.push(`route_select: ${s.routeSelect}`)
  if (s.mode !== undefined) out.push(`mode: ${s.mode}`)
  if (s.checkIntervalMs !== undefined) out.push(`check_interval: ${s.checkIntervalMs === 0 ? '0 (probe before each use)' : ms(s.checkIntervalMs)}`)
  if (s.maxConnectionsPerUser !== undefined) out.push(`max_connections_per_user: ${s.maxConnectionsPerUser === 0 ? 'no limit' : s.maxConnectionsPerUser}`)
  if (s.stickyTtlMs !== undefined) out.push(`etcd_keyttl: ${ms(s.stickyTtlMs)}`)
  if (s.errorBanner !== undefined && s.errorBanner !== '') out.push(`error_banner: ${JSON.stringify(s.errorBanner)}`)
  if (s.environment !== undefined && Object.keys(s.environment).length > 0) out.push(`environment: ${Object.keys(s.environment).join(' ')}`)
  return out.map((l) => indent + l)
}

function clauseText(c: MatchClause): string {
  const parts: string[] = []
  if (c.users) parts.push(`users ${c.users.join(',')}`)
  if (c.groups) parts.push(`groups ${c.groups.join(',')}`)
  if (c.sources) parts.push(`sources ${c.sources.map((s) => (s.port === undefined ? s.host : `${s.host}:${s.port}`)).join(',')}`)
  if (c.clients) parts.push(`clients ${[...c.clients.rules].reverse().map((r) => r.replace(/^Subnet: (IPv[46]) /, '')).join(',')}`)
  return parts.join(' and ')
}

/** The text `check` prints for `config`: one fact per line, no secret (etcd's password is not shown). */
export function describeConfig(config: RouterConfig): string {
  const lines = [`config: ${config.file ?? '<text>'}`, `listen: ${config.listen.map((l) => l.text).join(' ')}`]
  lines.push(`store: ${config.etcd ? `etcd ${config.etcd.endpoints.join(' ')} (keyttl ${ms(config.etcd.keyTtlMs)}, ${config.etcd.mandatory ? 'mandatory' : 'memory if unreachable'})` : 'memory (one instance)'}`)
  lines.push('routes:', ...settingLines(config.settings, '  '))
  config.overrides.forEach((o, i) => {
    lines.push(`override ${i + 1} (line ${o.line}) when ${o.match.map(clauseText).join(' | ')}:`, ...settingLines(o.settings, '  '))
  })
  return `${lines.join('\n')}\n`
}
