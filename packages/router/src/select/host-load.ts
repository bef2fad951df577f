/**
 * How loaded each host of a pool is, from the store's live connections: what
 * `route_select: connections` and `bandwidth` sort by.
 */
import type { LiveConnection } from '../state/router-store.js'

/** One host's load, for one user of one service and overall. */
export interface HostLoad {
  /** Live connections of this user on this service to the host. */
  readonly userConnections: number
  /** Live connections to the host, of every user and service. */
  readonly allConnections: number
  /** `in² + out²` of the summed rates (bytes/s) of this user's connections on this service. */
  readonly userBandwidth: number
  /** `in² + out²` of the summed rates (bytes/s) of every connection to the host. */
  readonly allBandwidth: number
}

const IDLE: HostLoad = Object.freeze({ userConnections: 0, allConnections: 0, userBandwidth: 0, allBandwidth: 0 })

/** Sums `connections` per host; a host with none is absent (see {@link loadOf}). */
export function hostLoads(connections: readonly LiveConnection[], user: string, service: string): Map<string, HostLoad> {
  const sums = new Map<string, { uc: number; ac: number; ui: number; uo: number; ai: number; ao: number }>()
  for (const c of connections) {
    let s = sums.get(c.host)
    if (!s) sums.set(c.host, (s = { uc: 0, ac: 0, ui: 0, uo: 0, ai: 0, ao: 0 }))
    s.ac++
    s.ai += c.bytesInRate
    s.ao += c.bytesOutRate
    if (c.user === user && c.service === service) {
      s.uc++
      s.ui += c.bytesInRate
      s.uo += c.bytesOutRate
    }
  }
  const out = new Map<string, HostLoad>()
  for (const [host, s] of sums) {
    out.set(host, { userConnections: s.uc, allConnections: s.ac, userBandwidth: s.ui ** 2 + s.uo ** 2, allBandwidth: s.ai ** 2 + s.ao ** 2 })
  }
  return out
}

/** The load of `host` in `loads`, zero when it has no live connection. */
export function loadOf(loads: ReadonlyMap<string, HostLoad>, host: string): HostLoad {
  return loads.get(host) ?? IDLE
}

/** Orders by fewest connections: this user's on this service first, then everyone's. */
export function byConnections(a: HostLoad, b: HostLoad): number {
  return a.userConnections - b.userConnections || a.allConnections - b.allConnections
}

/** Orders by least bandwidth (this user's on this service, then everyone's), then {@link byConnections}. */
export function byBandwidth(a: HostLoad, b: HostLoad): number {
  return a.userBandwidth - b.userBandwidth || a.allBandwidth - b.allBandwidth || byConnections(a, b)
}
