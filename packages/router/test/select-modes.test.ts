import { describe, expect, it } from 'vitest'
import { RoundRobinCounter } from '../src/select/round-robin-counter.js'
import { orderCandidates, type OrderCandidatesOptions, type SelectSettings } from '../src/select/order-candidates.js'
import { shuffled } from '../src/select/shuffle.js'
import type { MemoryStore } from '../src/state/memory-store.js'
import { POOL, hp, seededRandom, settings, storeWithClock } from './helpers/pool.js'

const names = (cs: { dest: { text: string } }[]): string[] => cs.map((c) => c.dest.text)

/** Routes `n` connections of `user` and counts the first candidate of each, admitting it when `admit`. */
async function picks(n: number, s: SelectSettings, store: MemoryStore, options: OrderCandidatesOptions, admit = false, user = 'alice'): Promise<Record<string, number>> {
  const counts: Record<string, number> = {}
  for (let i = 0; i < n; i++) {
    const [first] = await orderCandidates(s, user, store, options)
    if (!first) throw new Error('no candidate')
    counts[first.dest.text] = (counts[first.dest.text] ?? 0) + 1
    if (admit) await store.admit({ user, service: s.service, host: first.dest.text, client: `127.0.0.1:${1000 + i}` }, 0)
  }
  return counts
}

describe('route_select ordered', () => {
  it('sends all 60 connections to the first up host, in config order', async () => {
    const { store, now } = await storeWithClock()
    expect(await picks(60, settings(), store, { now })).toEqual({ 'a:22': 60 })
    expect(names(await orderCandidates(settings(), 'alice', store, { now }))).toEqual(['a:22', 'b:22', 'c:22'])
  })

  it('goes to the next host when the first is freshly down', async () => {
    const { store, now } = await storeWithClock()
    await store.markHost('a:22', 'down')
    expect(await picks(60, settings(), store, { now })).toEqual({ 'b:22': 60 })
  })

  it('returns no candidate when every host is down or disabled', async () => {
    const { store, now } = await storeWithClock()
    await store.markHost('a:22', 'down')
    await store.markHost('b:22', 'down')
    await store.setDisabled('c:22', true)
    expect(await orderCandidates(settings(), 'alice', store, { now })).toEqual([])
  })
})

describe('route_select round-robin', () => {
  it('gives 60 picks over 3 hosts 20/20/20, rotating the start one host per connection', async () => {
    const { store, now } = await storeWithClock()
    const roundRobin = new RoundRobinCounter()
    const s = settings({ routeSelect: 'round-robin' })
    expect(names(await orderCandidates(s, 'alice', store, { now, roundRobin }))).toEqual(['a:22', 'b:22', 'c:22'])
    expect(names(await orderCandidates(s, 'bob', store, { now, roundRobin }))).toEqual(['b:22', 'c:22', 'a:22'])
    expect(names(await orderCandidates(s, 'carol', store, { now, roundRobin }))).toEqual(['c:22', 'a:22', 'b:22'])
    roundRobin.reset()
    expect(await picks(60, s, store, { now, roundRobin })).toEqual({ 'a:22': 20, 'b:22': 20, 'c:22': 20 })
  })

  it('shares a down host’s turns evenly between the others (30/30)', async () => {
    const { store, now } = await storeWithClock()
    await store.markHost('b:22', 'down')
    const roundRobin = new RoundRobinCounter()
    expect(await picks(60, settings({ routeSelect: 'round-robin' }), store, { now, roundRobin })).toEqual({ 'a:22': 30, 'c:22': 30 })
  })

  it('keeps one rotation per service', async () => {
    const { store, now } = await storeWithClock()
    const roundRobin = new RoundRobinCounter()
    const one = settings({ routeSelect: 'round-robin', service: 'one' })
    const two = settings({ routeSelect: 'round-robin', service: 'two' })
    await orderCandidates(one, 'alice', store, { now, roundRobin })
    await orderCandidates(one, 'alice', store, { now, roundRobin })
    expect(names(await orderCandidates(two, 'alice', store, { now, roundRobin }))[0]).toBe('a:22')
    expect(names(await orderCandidates(one, 'alice', store, { now, roundRobin }))[0]).toBe('c:22')
  })

  it('raises TypeError without a counter', async () => {
    const { store, now } = await storeWithClock()
    await expect(orderCandidates(settings({ routeSelect: 'round-robin' }), 'alice', store, { now })).rejects.toBeInstanceOf(TypeError)
  })
})

describe('route_select random', () => {
  it('is the Fisher–Yates shuffle of the given source, reproducible by seed', async () => {
    const { store, now } = await storeWithClock()
    const s = settings({ routeSelect: 'random' })
    // random() = 0.9 then 0.1: i=2 swaps with floor(0.9*3)=2 (none), i=1 with floor(0.1*2)=0 → b a c.
    const fixed = [0.9, 0.1]
    expect(names(await orderCandidates(s, 'alice', store, { now, random: () => fixed.shift()! }))).toEqual(['b:22', 'a:22', 'c:22'])
    const first = names(await orderCandidates(s, 'alice', store, { now, random: seededRandom(7) }))
    expect(names(await orderCandidates(s, 'alice', store, { now, random: seededRandom(7) }))).toEqual(first)
  })

  it('spreads 600 seeded picks over 3 hosts and 6 orders close to evenly', async () => {
    const { store, now } = await storeWithClock()
    const random = seededRandom(42)
    const s = settings({ routeSelect: 'random' })
    const firsts: Record<string, number> = {}
    const orders: Record<string, number> = {}
    for (let i = 0; i < 600; i++) {
      const order = names(await orderCandidates(s, 'alice', store, { now, random })).join(' ')
      orders[order] = (orders[order] ?? 0) + 1
      const f = order.split(' ')[0]!
      firsts[f] = (firsts[f] ?? 0) + 1
    }
    expect(Object.keys(orders)).toHaveLength(6)
    for (const c of Object.values(orders)) expect(c).toBeGreaterThan(70) // ~100 each
    for (const c of Object.values(firsts)) expect(c).toBeGreaterThan(170) // ~200 each
  })

  it('refuses a source outside [0, 1)', () => {
    expect(() => shuffled([1, 2], () => 1)).toThrow(RangeError)
  })
})

describe('route_select connections', () => {
  it('spreads 60 admitted connections 20/20/20', async () => {
    const { store, now } = await storeWithClock()
    expect(await picks(60, settings({ routeSelect: 'connections' }), store, { now }, true)).toEqual({ 'a:22': 20, 'b:22': 20, 'c:22': 20 })
  })

  it('orders by this user’s connections on this service, then everyone’s, then config order', async () => {
    const { store, now } = await storeWithClock()
    const admit = (user: string, service: string, host: string) => store.admit({ user, service, host, client: '127.0.0.1:1' }, 0)
    // alice@svc: one on a. Everyone: b has three (bob), c has one (alice on another service).
    await admit('alice', 'svc', 'a:22')
    for (let i = 0; i < 3; i++) await admit('bob', 'svc', 'b:22')
    await admit('alice', 'other', 'c:22')
    const s = settings({ routeSelect: 'connections' })
    // b and c tie on alice@svc (0); c has fewer overall (1 < 3); a last (alice@svc has 1).
    expect(names(await orderCandidates(s, 'alice', store, { now }))).toEqual(['c:22', 'b:22', 'a:22'])
    // For bob: a and c have none of bob's; both have one overall → config order; b last.
    expect(names(await orderCandidates(s, 'bob', store, { now }))).toEqual(['a:22', 'c:22', 'b:22'])
  })
})

describe('route_select bandwidth', () => {
  it('orders by in² + out² of this user’s rates, then everyone’s, then connections, then config order', async () => {
    const { store, now } = await storeWithClock([...POOL, hp('d')])
    const s = settings({ routeSelect: 'bandwidth', dest: [...POOL, hp('d')] })
    const admit = (user: string, host: string) => store.admit({ user, service: 'svc', host, client: '127.0.0.1:1' }, 0)
    // alice: 300²+400² = 250,000 on a; 0 on b, c, d.
    await (await admit('alice', 'a:22'))!.updateRates(300, 400)
    // everyone: b carries 500² (bob), c carries 100² + 100² (bob), d idle.
    await (await admit('bob', 'b:22'))!.updateRates(500, 0)
    await (await admit('bob', 'c:22'))!.updateRates(100, 100)
    expect(names(await orderCandidates(s, 'alice', store, { now }))).toEqual(['d:22', 'c:22', 'b:22', 'a:22'])
    // For carol (no rates of hers): everyone's bandwidth — d 0, c 20,000, then a and b tie at
    // 250,000 (300² + 400² = 500²): one connection each → config order.
    expect(names(await orderCandidates(s, 'carol', store, { now }))).toEqual(['d:22', 'c:22', 'a:22', 'b:22'])
    // Two idle connections on a make the tie go by connections: b (1) before a (3).
    await admit('dave', 'a:22')
    await admit('dave', 'a:22')
    expect(names(await orderCandidates(s, 'carol', store, { now }))).toEqual(['d:22', 'c:22', 'b:22', 'a:22'])
  })

  it('sums a user’s rates per host before squaring', async () => {
    const { store, now } = await storeWithClock()
    const s = settings({ routeSelect: 'bandwidth' })
    const admit = (host: string) => store.admit({ user: 'alice', service: 'svc', host, client: '127.0.0.1:1' }, 0)
    // a: two connections of 60 in → (120)² = 14,400; b: one of 100 in → 10,000; c: 110 → 12,100.
    await (await admit('a:22'))!.updateRates(60, 0)
    await (await admit('a:22'))!.updateRates(60, 0)
    await (await admit('b:22'))!.updateRates(100, 0)
    await (await admit('c:22'))!.updateRates(110, 0)
    expect(names(await orderCandidates(s, 'alice', store, { now }))).toEqual(['b:22', 'c:22', 'a:22'])
  })
})
