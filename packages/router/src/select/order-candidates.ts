/**
 * The order in which a connection tries the hosts of its pool: sshproxy's `mode` and
 * `route_select` (gateway-anchors §2.4–2.5) as one exactly specified function, with
 * sshproxy's coin-flip ties replaced by config order so that every choice can be reproduced.
 */
import type { HostPort, RouteSettings } from '../config/route-settings.js'
import type { RouterStore } from '../state/router-store.js'
import { hostCandidacy } from './candidacy.js'
import { byBandwidth, byConnections, hostLoads, loadOf } from './host-load.js'
import type { RoundRobinCounter } from './round-robin-counter.js'
import { shuffled } from './shuffle.js'

/** One host to try, in the order {@link orderCandidates} gives. */
export interface Candidate {
  /** The host, as the pool lists it. */
  readonly dest: HostPort
  /**
   * True when its record is missing or stale (always, when `checkIntervalMs` is 0): probe it
   * right before use (`HostProber.check`) and go on to the next candidate if the probe fails.
   */
  readonly needsProbe: boolean
  /** True for the user's sticky host, which then comes first. */
  readonly sticky: boolean
}

/** The route settings {@link orderCandidates} reads. */
export type SelectSettings = Pick<RouteSettings, 'service' | 'dest' | 'routeSelect' | 'mode' | 'checkIntervalMs'>

/** Options of {@link orderCandidates}. */
export interface OrderCandidatesOptions {
  /** Uniform on [0, 1), for `random`; default `Math.random`. Tests pass a seeded one. */
  readonly random?: (() => number) | undefined
  /** The router's per-service turns, for `round-robin` (required then). */
  readonly roundRobin?: RoundRobinCounter | undefined
  /** The clock records are aged by, in ms since the epoch; default `Date.now` (give the store's). */
  readonly now?: (() => number) | undefined
}

/**
 * Returns the hosts of `settings.dest` that `user` may be sent to, in the order to try them:
 * the first whose probe (when {@link Candidate.needsProbe}) and connection succeed wins; an
 * empty list means no host can take the connection (show the error banner).
 *
 * **Which hosts** — {@link hostCandidacy}: `disabled` never; `down` checked less than
 * `checkIntervalMs` ago never; everything else is a candidate, to be probed first when its
 * record is missing or `checkIntervalMs` old or older (every time, with 0). A candidate keeps
 * its place whatever it needs: a host that came back is used again as soon as one probe says so.
 *
 * **Order** (`routeSelect`), over the candidates in config order:
 * - `ordered`: config order.
 * - `random`: a uniform shuffle drawn from `options.random`.
 * - `round-robin`: config order rotated to start at candidate `turn mod count`, where `turn` is
 *   the service's next turn from `options.roundRobin` — taken (advanced) only when the order
 *   decides the first host, i.e. when no sticky host leads. With the pool healthy, `n` picks
 *   over `k` hosts give each `n / k`; a skipped host's turns go evenly to the others.
 * - `connections`: fewest live connections of `user` on `settings.service` to the host, then
 *   fewest live connections to the host overall (every user and service), then config order.
 *   sshproxy breaks the last tie with a coin flip; config order makes it reproducible.
 * - `bandwidth`: lowest `in² + out²` of the summed measured rates (bytes/s, from
 *   `ConnectionTicket.updateRates`) of `user`'s connections on the service to the host, then
 *   the same over every connection to the host, then the `connections` order (which ends in
 *   config order). sshproxy adds the connection count into its key and flips a coin on ties.
 *
 * **Stickiness** (`mode`): `sticky` moves `store.stickyHost(user, service)` — the host of the
 * user's newest live connection, else the one remembered within `stickyTtlMs` — to the front,
 * when it is still in `dest` and a candidate (neither disabled nor freshly down); otherwise the
 * order above stands (sshproxy's fallback; the user's existing sessions elsewhere go on).
 * `balanced` never looks.
 *
 * Unlike sshproxy, `connections` and `bandwidth` need no etcd: every store lists connections.
 * The store is read once per call (host records, and the sticky host or the connections as the
 * settings need); nothing here probes or waits beyond the store's own bounded calls.
 *
 * @example
 * ```ts
 * for (const c of await orderCandidates(settings, user, store, { roundRobin, now: clock })) {
 *   if (c.needsProbe && !(await prober.check(c.dest)).up) continue
 *   // connect to c.dest; on a connect or handshake failure: await prober.reportFailure(c.dest)
 * }
 * ```
 * @throws RouterStoreError when the store cannot answer.
 * @throws TypeError when `routeSelect` is `round-robin` and no `options.roundRobin` is given.
 */
export async function orderCandidates(settings: SelectSettings, user: string, store: RouterStore, options: OrderCandidatesOptions = {}): Promise<Candidate[]> {
  const { service, dest, routeSelect, mode, checkIntervalMs } = settings
  if (routeSelect === 'round-robin' && options.roundRobin === undefined) {
    throw new TypeError('route_select round-robin needs options.roundRobin (the router keeps one RoundRobinCounter)')
  }
  const byLoad = routeSelect === 'connections' || routeSelect === 'bandwidth'
  const [records, stickyHost, live] = await Promise.all([
    store.hosts(),
    mode === 'sticky' ? store.stickyHost(user, service) : undefined,
    byLoad ? store.connections() : [],
  ])
  const now = (options.now ?? Date.now)()
  const recordOf = new Map(records.map((r) => [r.host, r]))
  const eligible: Candidate[] = []
  for (const d of dest) {
    const c = hostCandidacy(recordOf.get(d.text), checkIntervalMs, now)
    if (c !== 'skip') eligible.push({ dest: d, needsProbe: c === 'probe', sticky: false })
  }
  if (eligible.length === 0) return []

  const stickyAt = stickyHost === undefined ? -1 : eligible.findIndex((c) => c.dest.text === stickyHost)
  let ordered: Candidate[]
  switch (routeSelect) {
    case 'ordered':
      ordered = eligible
      break
    case 'random':
      ordered = shuffled(eligible, options.random ?? Math.random)
      break
    case 'round-robin': {
      const rr = options.roundRobin!
      const turn = stickyAt >= 0 ? rr.peek(service) : rr.next(service)
      const start = turn % eligible.length
      ordered = [...eligible.slice(start), ...eligible.slice(0, start)]
      break
    }
    case 'connections':
    case 'bandwidth': {
      const loads = hostLoads(live, user, service)
      const compare = routeSelect === 'connections' ? byConnections : byBandwidth
      // Array.prototype.sort is stable (ES2019): equal loads keep config order.
      ordered = [...eligible].sort((a, b) => compare(loadOf(loads, a.dest.text), loadOf(loads, b.dest.text)))
      break
    }
  }
  if (stickyAt < 0) return ordered
  const lead = eligible[stickyAt]!
  return [{ ...lead, sticky: true }, ...ordered.filter((c) => c !== lead)]
}
