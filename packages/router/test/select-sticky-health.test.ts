import { describe, expect, it } from 'vitest'
import { hostCandidacy } from '../src/select/candidacy.js'
import { orderCandidates } from '../src/select/order-candidates.js'
import { RoundRobinCounter } from '../src/select/round-robin-counter.js'
import { POOL, hp, settings, storeWithClock } from './helpers/pool.js'

const names = (cs: { dest: { text: string } }[]): string[] => cs.map((c) => c.dest.text)
const sticky = settings({ mode: 'sticky', routeSelect: 'ordered' })
const claim = (host: string, user = 'alice', service = 'svc') => ({ user, service, host, client: '127.0.0.1:40000' })

describe('mode sticky', () => {
  it('puts the host of the user’s newest live connection first', async () => {
    const { store, clock, now } = await storeWithClock()
    await store.admit(claim('b:22'), 0)
    clock.now += 1000
    await store.admit(claim('c:22'), 0)
    const order = await orderCandidates(sticky, 'alice', store, { now })
    expect(names(order)).toEqual(['c:22', 'a:22', 'b:22'])
    expect(order.map((c) => c.sticky)).toEqual([true, false, false])
    // Another user, and the same user on another service, are not sticky.
    expect(names(await orderCandidates(sticky, 'bob', store, { now }))[0]).toBe('a:22')
    expect(names(await orderCandidates({ ...sticky, service: 'other' }, 'alice', store, { now }))[0]).toBe('a:22')
  })

  it('remembers the host for stickyTtlMs after the last connection ends, then forgets', async () => {
    const { store, clock, now } = await storeWithClock()
    const ticket = await store.admit(claim('c:22'), 0)
    await ticket!.release(60_000)
    clock.now += 59_000
    expect(names(await orderCandidates(sticky, 'alice', store, { now }))[0]).toBe('c:22')
    clock.now += 1_000
    // Records are 60 s old now: every host needs a probe, the order is config order again.
    const after = await orderCandidates({ ...sticky, checkIntervalMs: 120_000 }, 'alice', store, { now })
    expect(names(after)).toEqual(['a:22', 'b:22', 'c:22'])
    expect(after.some((c) => c.sticky)).toBe(false)
  })

  it('falls back to route_select when the sticky host is freshly down', async () => {
    const { store, now } = await storeWithClock()
    await store.admit(claim('b:22'), 0)
    await store.markHost('b:22', 'down')
    const order = await orderCandidates(sticky, 'alice', store, { now })
    expect(names(order)).toEqual(['a:22', 'c:22'])
    expect(order.some((c) => c.sticky)).toBe(false)
  })

  it('keeps a sticky host whose down record is stale first, to be probed', async () => {
    const { store, clock, now } = await storeWithClock()
    await store.admit(claim('b:22'), 0)
    await store.markHost('b:22', 'down')
    clock.now += 10_000
    const [first] = await orderCandidates(sticky, 'alice', store, { now })
    expect(first).toMatchObject({ dest: { text: 'b:22' }, sticky: true, needsProbe: true })
  })

  it('falls back when the sticky host was removed from dest', async () => {
    const { store, now } = await storeWithClock([...POOL, hp('gone')])
    await store.admit(claim('gone:22'), 0)
    expect(names(await orderCandidates(sticky, 'alice', store, { now }))).toEqual(['a:22', 'b:22', 'c:22'])
  })

  it('never chooses a disabled host, sticky or not', async () => {
    const { store, now } = await storeWithClock()
    await store.admit(claim('b:22'), 0)
    await store.setDisabled('b:22', true)
    for (const routeSelect of ['ordered', 'random', 'connections', 'bandwidth', 'round-robin'] as const) {
      const order = await orderCandidates({ ...sticky, routeSelect }, 'alice', store, { now, roundRobin: new RoundRobinCounter() })
      expect(names(order), routeSelect).not.toContain('b:22')
      expect(order, routeSelect).toHaveLength(2)
    }
  })

  it('leads with the sticky host under round-robin without taking a turn', async () => {
    const { store, now } = await storeWithClock()
    const roundRobin = new RoundRobinCounter()
    await store.admit(claim('c:22'), 0)
    const s = { ...sticky, routeSelect: 'round-robin' as const }
    expect(names(await orderCandidates(s, 'alice', store, { now, roundRobin }))).toEqual(['c:22', 'a:22', 'b:22'])
    expect(roundRobin.peek('svc')).toBe(0)
    expect(names(await orderCandidates(s, 'bob', store, { now, roundRobin }))[0]).toBe('a:22')
    expect(roundRobin.peek('svc')).toBe(1)
  })

  it('is ignored in balanced mode', async () => {
    const { store, now } = await storeWithClock()
    await store.admit(claim('c:22'), 0)
    const order = await orderCandidates({ ...sticky, mode: 'balanced' }, 'alice', store, { now })
    expect(names(order)).toEqual(['a:22', 'b:22', 'c:22'])
    expect(order.some((c) => c.sticky)).toBe(false)
  })
})

describe('host candidacy', () => {
  const at = 1_000_000
  const rec = (state: 'up' | 'down' | 'disabled', age: number) => ({ host: 'a:22', state, checkedAt: at - age })

  it('skips disabled hosts whatever their age or the interval', () => {
    for (const interval of [0, 1000]) for (const age of [0, 999, 1000, 10 ** 9]) expect(hostCandidacy(rec('disabled', age), interval, at)).toBe('skip')
  })

  it('skips a down host younger than checkIntervalMs and probes it from that age on', () => {
    expect(hostCandidacy(rec('down', 999), 1000, at)).toBe('skip')
    expect(hostCandidacy(rec('down', 1000), 1000, at)).toBe('probe')
  })

  it('trusts an up host younger than checkIntervalMs and probes it from that age on', () => {
    expect(hostCandidacy(rec('up', 999), 1000, at)).toBe('fresh')
    expect(hostCandidacy(rec('up', 1000), 1000, at)).toBe('probe')
  })

  it('probes every host without a record, and every host before each use with interval 0', () => {
    expect(hostCandidacy(undefined, 1000, at)).toBe('probe')
    expect(hostCandidacy(rec('up', 0), 0, at)).toBe('probe')
    expect(hostCandidacy(rec('down', 0), 0, at)).toBe('probe')
  })

  it('takes a record from the future as fresh', () => {
    expect(hostCandidacy(rec('down', -5000), 1000, at)).toBe('skip')
  })

  it('marks candidates that need a probe and keeps their place in the order', async () => {
    const { store, clock, now } = await storeWithClock([hp('b')])
    await store.markHost('c:22', 'down')
    clock.now += 4000 // b up 4 s ago, c down 4 s ago, a unknown
    const order = await orderCandidates(settings({ checkIntervalMs: 3000 }), 'alice', store, { now })
    expect(order.map((c) => [c.dest.text, c.needsProbe])).toEqual([['a:22', true], ['b:22', true], ['c:22', true]])
    await store.markHost('b:22', 'up')
    const fresh = await orderCandidates(settings({ checkIntervalMs: 3000 }), 'alice', store, { now })
    expect(fresh.map((c) => [c.dest.text, c.needsProbe])).toEqual([['a:22', true], ['b:22', false], ['c:22', true]])
  })
})
