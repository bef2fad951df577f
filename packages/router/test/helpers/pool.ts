/** Small fixtures for the selection tests: host:port values, settings, a store with a clock. */
import type { HostPort } from '../../src/config/route-settings.js'
import type { SelectSettings } from '../../src/select/order-candidates.js'
import { MemoryStore } from '../../src/state/memory-store.js'

/** `host:port` as the config parses it. */
export function hp(host: string, port = 22): HostPort {
  return { host, port, text: `${host}:${port}` }
}

/** Three hosts a, b, c on port 22. */
export const POOL: readonly HostPort[] = [hp('a'), hp('b'), hp('c')]

/** Settings for `POOL`, balanced, probing every 10 s, overridden by `over`. */
export function settings(over: Partial<SelectSettings> = {}): SelectSettings {
  return { service: 'svc', dest: POOL, routeSelect: 'ordered', mode: 'balanced', checkIntervalMs: 10_000, ...over }
}

/** A memory store on a clock the test moves, with every host of `hosts` marked up now. */
export async function storeWithClock(hosts: readonly HostPort[] = POOL): Promise<{ store: MemoryStore; clock: { now: number }; now: () => number }> {
  const clock = { now: 1_700_000_000_000 }
  const now = (): number => clock.now
  const store = new MemoryStore({ instance: 'test', now })
  for (const h of hosts) await store.markHost(h.text, 'up')
  return { store, clock, now }
}

/** A seeded uniform source on [0, 1) (mulberry32), so "random" orders can be asserted exactly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
