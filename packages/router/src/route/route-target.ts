/** Turns a {@link RouteTarget} into the full settings routing runs on, with sshproxy's defaults. */
import { cleanHostname, splitHostPort } from '@x/transport'
import type { HostPort, RouteSettings } from '../config/route-settings.js'
import type { RouteTarget } from './route-context.js'

const SELECTS = new Set(['ordered', 'random', 'connections', 'bandwidth', 'round-robin'])

/**
 * Parses `host[:port]` (IPv6 in brackets) into a {@link HostPort}; port 22 when none is given.
 * `allowPortZero` accepts port 0 (a listen address: any free port).
 */
export function hostPortOf(text: string, allowPortZero = false): HostPort {
  const split = splitHostPort(text.trim())
  const host = split ? cleanHostname(split.host) : ''
  const port = split?.rest === undefined ? 22 : /^\d+$/.test(split.rest) ? Number(split.rest) : NaN
  if (!split || split.delim === '/' || host === '' || !Number.isInteger(port) || port < (allowPortZero ? 0 : 1) || port > 65535) throw new TypeError(`not a host[:port]: ${JSON.stringify(text)}`)
  return { host, port, text: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}` }
}

function nonNegative(name: string, v: number | undefined): number {
  if (v === undefined) return 0
  if (!Number.isInteger(v) || v < 0) throw new TypeError(`${name} must be an integer ≥ 0`)
  return v
}

/** The settings `target` means. @throws TypeError when a field is malformed. */
export function settingsOfTarget(target: RouteTarget): RouteSettings {
  if (!target || !Array.isArray(target.dest)) throw new TypeError('a route needs dest: a list of hosts')
  const routeSelect = target.routeSelect ?? 'ordered'
  if (!SELECTS.has(routeSelect)) throw new TypeError(`unknown routeSelect ${JSON.stringify(routeSelect)}`)
  const mode = target.mode ?? 'sticky'
  if (mode !== 'sticky' && mode !== 'balanced') throw new TypeError(`unknown mode ${JSON.stringify(mode)}`)
  return {
    service: target.service ?? 'default',
    dest: target.dest.map((d) => (typeof d === 'string' ? hostPortOf(d) : d)),
    routeSelect,
    mode,
    checkIntervalMs: nonNegative('checkIntervalMs', target.checkIntervalMs),
    maxConnectionsPerUser: nonNegative('maxConnectionsPerUser', target.maxConnectionsPerUser),
    errorBanner: target.errorBanner ?? '',
    environment: { ...(target.environment ?? {}) },
    stickyTtlMs: nonNegative('stickyTtlMs', target.stickyTtlMs),
  }
}
