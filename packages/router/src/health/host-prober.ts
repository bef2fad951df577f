/**
 * The router's view of which hosts answer: background probes of every pool's hosts, on-demand
 * probes before use, and passive marking when a real connection fails — all written to the
 * store through `markHost`, with rise/fall hysteresis.
 */
import { EventEmitter } from 'node:events'
import type { HostPort } from '../config/route-settings.js'
import { HostProberClosedError } from './prober-closed-error.js'
import { count, resolveProberOptions, type HostProberOptions, type ProbePool, type ResolvedProberOptions } from './prober-options.js'
import { ProbeLimiter } from './probe-limiter.js'
import { probeSsh, type ProbeOutcome } from './probe-ssh.js'
import { RiseFall } from './rise-fall.js'

/** The events of a {@link HostProber}; it never emits `'error'`. */
export interface HostProberEvents {
  /** A probe finished (background or `check()`), before its outcome is recorded. */
  probe: [outcome: ProbeOutcome]
  /**
   * The prober recorded `state` for `host` (after a probe, or `reportFailure`) — or failed to,
   * and then `error` is the store's error (undefined on success).
   */
  mark: [host: string, state: 'up' | 'down', error: unknown]
}

/** Options of {@link HostProber.check}. */
export interface CheckOptions {
  /** Stops waiting (rejects with its reason); a probe shared with the background runs on. */
  readonly signal?: AbortSignal | undefined
}

interface Watched {
  readonly hp: HostPort
  intervalMs: number
  timer: NodeJS.Timeout | undefined
}

/**
 * Probes the hosts of the router's pools and records their health in the store — what
 * sshproxy does at connection time (`CanConnect`), done ahead of time, with an SSH banner check
 * instead of a bare TCP connect.
 *
 * - **Background**: after `start()`, each host of a pool with `checkIntervalMs` > 0 is probed at
 *   once, then every interval after its previous probe ended (the smallest positive interval of
 *   the pools it is in). A host of only 0-interval pools is never probed in the background:
 *   the router calls `check()` before each use (sshproxy's empty `check_interval`).
 * - **A probe** (`probeSsh`): TCP connect within 1 s, then the server's `SSH-2.0-`/`SSH-1.99-`
 *   identification line within 2 s. Silence, garbage, another protocol or an early close is down.
 * - **Rise/fall** (default 2/2): the first outcome for a host is recorded as it is; after that
 *   `fall` consecutive failures mark an up host down and `rise` successes a down one up; an
 *   outcome agreeing with the state refreshes its record. While outcomes disagree the host is
 *   probed again after `recheckIntervalMs`, so a stopped host is marked down about one interval
 *   plus one recheck after it stops.
 * - **Passive**: `reportFailure()` marks a host down at once, for a real connection that failed.
 * - A `disabled` record stays disabled (the store's rule); its host is still probed.
 *
 * Routing never waits on the background: `check()` bypasses the background's concurrency limit
 * and joins a probe of the same host already running; every probe is bounded by its timers.
 * Store failures are reported as `'mark'` events and never reject `check()`.
 *
 * With OpenSSH ≥ 9.8, each probe is a connection that never authenticates, which its
 * `PerSourcePenalties` (`noauth`) counts against the router's address; keep intervals of a
 * few seconds or more there, or exempt the router with `PerSourcePenaltyExemptList`.
 *
 * @example
 * ```ts
 * await using prober = new HostProber({ store, pools: [settings] })
 * prober.start()
 * const outcome = await prober.check(settings.dest[0]!)
 * ```
 */
export class HostProber extends EventEmitter<HostProberEvents> {
  readonly #o: ResolvedProberOptions
  readonly #limiter: ProbeLimiter
  readonly #closer = new AbortController()
  readonly #watched = new Map<string, Watched>()
  readonly #machines = new Map<string, RiseFall>()
  readonly #inFlight = new Map<string, Promise<ProbeOutcome>>()
  readonly #ticks = new Set<Promise<void>>()
  #started = false
  #closing: Promise<void> | undefined

  /**
   * Creates a prober; nothing runs until {@link HostProber.start}.
   *
   * @throws TypeError when `options.store` is missing.
   * @throws RangeError for a count or duration that is not a positive integer.
   */
  constructor(options: HostProberOptions) {
    super()
    this.#o = resolveProberOptions(options)
    this.#limiter = new ProbeLimiter(this.#o.maxConcurrentProbes)
    this.setPools(this.#o.pools)
  }

  /**
   * Starts the background probes (every watched host at once, then on its interval). Idempotent.
   *
   * @throws HostProberClosedError after `close()`.
   */
  start(): void {
    this.#open()
    if (this.#started) return
    this.#started = true
    for (const w of this.#watched.values()) this.#schedule(w, 0)
  }

  /**
   * Replaces the pools (a config reload): hosts no longer in any pool stop being probed and
   * their rise/fall history is dropped; hosts newly probed in the background are probed at once
   * when started; a host whose interval changed is next probed one new interval from now.
   *
   * @throws HostProberClosedError after `close()`.
   * @throws RangeError for a negative or fractional `checkIntervalMs`.
   */
  setPools(pools: readonly ProbePool[]): void {
    this.#open()
    const want = new Map<string, { hp: HostPort; intervalMs: number }>()
    const known = new Set<string>()
    const watchedBefore = new Set(this.#watched.keys())
    pools.forEach((p, i) => {
      const interval = count(`pools[${i}].checkIntervalMs`, p.checkIntervalMs, 0)
      for (const hp of p.dest) {
        known.add(hp.text)
        if (interval === 0) continue
        const was = want.get(hp.text)
        if (!was || interval < was.intervalMs) want.set(hp.text, { hp, intervalMs: interval })
      }
    })
    for (const [key, w] of this.#watched) {
      const next = want.get(key)
      if (next && next.intervalMs === w.intervalMs) continue
      clearTimeout(w.timer)
      this.#watched.delete(key)
    }
    for (const [key, { hp, intervalMs }] of want) {
      if (this.#watched.has(key)) continue
      const w: Watched = { hp, intervalMs, timer: undefined }
      this.#watched.set(key, w)
      if (this.#started) this.#schedule(w, watchedBefore.has(key) ? intervalMs : 0)
    }
    for (const key of this.#machines.keys()) if (!known.has(key)) this.#machines.delete(key)
  }

  /**
   * Probes `host` now (or joins its probe already running), records the outcome under the
   * rise/fall rule, and resolves with this probe's own outcome — what the router acts on for
   * this connection, even while the record waits for `rise`/`fall` to agree. Never rejects for
   * a down host or a store failure; settles within the probe's timers.
   *
   * @throws HostProberClosedError after (or cut short by) `close()`.
   * @throws the signal's reason when `options.signal` aborts first.
   */
  check(host: HostPort, options: CheckOptions = {}): Promise<ProbeOutcome> {
    this.#open()
    options.signal?.throwIfAborted()
    return raceAbort(this.#probe(host), options.signal)
  }

  /**
   * Marks `host` down at once, for a real connection to it that failed to connect or to
   * handshake (not for an authentication refusal: the host is up). Its next successes count
   * towards `rise` as usual.
   *
   * @throws HostProberClosedError after `close()`.
   * @throws RouterStoreError when the store cannot record it.
   */
  async reportFailure(host: HostPort | string): Promise<void> {
    this.#open()
    const key = typeof host === 'string' ? host : host.text
    this.#machine(key).force('down')
    try {
      await this.#o.store.markHost(key, 'down')
    } catch (err) {
      this.emit('mark', key, 'down', err)
      throw err
    }
    this.emit('mark', key, 'down', undefined)
  }

  /** The state this prober last decided for `host` (`'up'`, `'down'`), or undefined before any. */
  stateOf(host: HostPort | string): 'up' | 'down' | undefined {
    return this.#machines.get(typeof host === 'string' ? host : host.text)?.state
  }

  /**
   * Stops every timer, aborts the probes in flight (their `check()` callers get
   * HostProberClosedError) and resolves once none is left. Idempotent; the store is not closed.
   */
  close(): Promise<void> {
    return (this.#closing ??= this.#shutDown())
  }

  /** Same as {@link HostProber.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  async #shutDown(): Promise<void> {
    this.#closer.abort(new HostProberClosedError())
    for (const w of this.#watched.values()) clearTimeout(w.timer)
    this.#watched.clear()
    await Promise.allSettled([...this.#ticks, ...this.#inFlight.values()])
  }

  #open(): void {
    if (this.#closer.signal.aborted) throw new HostProberClosedError()
  }

  #machine(key: string): RiseFall {
    let m = this.#machines.get(key)
    if (!m) this.#machines.set(key, (m = new RiseFall(this.#o.rise, this.#o.fall)))
    return m
  }

  #probe(hp: HostPort): Promise<ProbeOutcome> {
    const running = this.#inFlight.get(hp.text)
    if (running) return running
    const signal = this.#closer.signal
    const p = probeSsh(hp, { connectTimeoutMs: this.#o.connectTimeoutMs, bannerTimeoutMs: this.#o.bannerTimeoutMs, signal })
      .then(async (outcome) => {
        await this.#record(outcome)
        return outcome
      })
      .finally(() => this.#inFlight.delete(hp.text))
    this.#inFlight.set(hp.text, p)
    return p
  }

  async #record(outcome: ProbeOutcome): Promise<void> {
    if (this.#closer.signal.aborted) return
    const state = this.#machine(outcome.host).observe(outcome.up)
    this.emit('probe', outcome)
    if (state === undefined) return
    let error: unknown
    try {
      await this.#o.store.markHost(outcome.host, state)
    } catch (err) {
      error = err
    }
    this.emit('mark', outcome.host, state, error)
  }

  #schedule(w: Watched, delayMs: number): void {
    w.timer = setTimeout(() => {
      w.timer = undefined
      const tick = this.#tick(w)
      this.#ticks.add(tick)
      void tick.finally(() => this.#ticks.delete(tick))
    }, delayMs)
  }

  async #tick(w: Watched): Promise<void> {
    const current = (): boolean => !this.#closer.signal.aborted && this.#watched.get(w.hp.text) === w
    let release: (() => void) | undefined
    try {
      release = await this.#limiter.acquire(this.#closer.signal)
      if (current()) await this.#probe(w.hp)
    } catch {
      // Aborted by close(): nothing more to do.
    } finally {
      release?.()
    }
    if (!current()) return
    const recheck = this.#machines.get(w.hp.text)?.pending === true
    this.#schedule(w, recheck ? Math.min(this.#o.recheckIntervalMs, w.intervalMs) : w.intervalMs)
  }
}

/** `promise`, or the signal's reason if `signal` aborts first; the listener is removed on settle. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}
