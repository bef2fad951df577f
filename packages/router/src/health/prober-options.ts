/** The options of {@link HostProber}, checked once into a frozen object. */
import type { HostPort } from '../config/route-settings.js'
import type { RouterStore } from '../state/router-store.js'
import { DEFAULT_BANNER_TIMEOUT_MS, DEFAULT_CONNECT_TIMEOUT_MS } from './probe-ssh.js'
import { DEFAULT_FALL, DEFAULT_RISE } from './rise-fall.js'

/** A pool whose hosts are probed: the `dest` and `checkIntervalMs` of a `RouteSettings`. */
export interface ProbePool {
  /** The hosts. */
  readonly dest: readonly HostPort[]
  /** Probe each host this often, in ms; 0 leaves them to on-demand `check()` before use. */
  readonly checkIntervalMs: number
}

/** Options of {@link HostProber}. */
export interface HostProberOptions {
  /** Where outcomes are recorded (`markHost`). */
  readonly store: RouterStore
  /** The pools to watch; replace them later with `setPools`. Default none. */
  readonly pools?: readonly ProbePool[] | undefined
  /** Timers of each probe. */
  readonly timeouts?: {
    /** TCP connect bound, in ms; default 1,000. */
    readonly connectMs?: number | undefined
    /** Identification line bound after connect, in ms; default 2,000. */
    readonly bannerMs?: number | undefined
  } | undefined
  /** Consecutive successes that bring a down host up; default 2. */
  readonly rise?: number | undefined
  /** Consecutive failures that take an up host down; default 2. */
  readonly fall?: number | undefined
  /**
   * While outcomes disagree with a host's state, probe it again this soon instead of after its
   * interval (HAProxy's `fastinter`), in ms; capped at the interval; default 1,000.
   */
  readonly recheckIntervalMs?: number | undefined
  /** Background probes running at once, at most; default 32. */
  readonly maxConcurrentProbes?: number | undefined
}

/** {@link HostProberOptions} with every default filled in. */
export interface ResolvedProberOptions {
  readonly store: RouterStore
  readonly pools: readonly ProbePool[]
  readonly connectTimeoutMs: number
  readonly bannerTimeoutMs: number
  readonly rise: number
  readonly fall: number
  readonly recheckIntervalMs: number
  readonly maxConcurrentProbes: number
}

/**
 * Checks `options` and fills in the defaults; the caller's object is not kept or changed.
 *
 * @throws TypeError when `store` is missing.
 * @throws RangeError for a count or duration that is not a positive integer (intervals may be 0).
 */
export function resolveProberOptions(options: HostProberOptions): ResolvedProberOptions {
  if (typeof options?.store?.markHost !== 'function') throw new TypeError('HostProber needs options.store (a RouterStore)')
  const pools = options.pools ?? []
  pools.forEach((p, i) => count(`pools[${i}].checkIntervalMs`, p.checkIntervalMs, 0))
  return Object.freeze({
    store: options.store,
    pools: Object.freeze([...pools]),
    connectTimeoutMs: count('timeouts.connectMs', options.timeouts?.connectMs ?? DEFAULT_CONNECT_TIMEOUT_MS, 1),
    bannerTimeoutMs: count('timeouts.bannerMs', options.timeouts?.bannerMs ?? DEFAULT_BANNER_TIMEOUT_MS, 1),
    rise: count('rise', options.rise ?? DEFAULT_RISE, 1),
    fall: count('fall', options.fall ?? DEFAULT_FALL, 1),
    recheckIntervalMs: count('recheckIntervalMs', options.recheckIntervalMs ?? 1000, 1),
    maxConcurrentProbes: count('maxConcurrentProbes', options.maxConcurrentProbes ?? 32, 1),
  })
}

/** `value` when it is an integer ≥ `min` (and a timer can hold it), else a RangeError naming `name`. */
export function count(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > 2 ** 31 - 1) {
    throw new RangeError(`${name} must be an integer from ${min} to ${2 ** 31 - 1}, got ${String(value)}`)
  }
  return value
}
