// The RouterStore contract, run against the memory store and against the etcd store on a real
// etcd: admission under the per-user limit, stickiness, prefixes that cannot collide, hosts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEtcd, type EtcdHandle } from '@x/testbed'
import { EtcdStore, MemoryStore, type RouterStore } from '../src/index.js'

let etcd: EtcdHandle
let prefixes = 0
beforeAll(async () => {
  etcd = await startEtcd()
}, 30_000)
afterAll(async () => {
  await etcd?.close()
})

const etcdConfig = () => ({ endpoints: [etcd.endpoint], keyTtlMs: 5_000, mandatory: false })

const kinds: [string, () => Promise<{ store: RouterStore; other: RouterStore }>][] = [
  ['memory', async () => {
    const store = new MemoryStore()
    return { store, other: store }
  }],
  ['etcd', async () => {
    // Two instances (two clients) over one key space, as two routers sharing etcd.
    const prefix = `/t${++prefixes}/`
    return { store: await EtcdStore.open(etcdConfig(), { prefix }), other: await EtcdStore.open(etcdConfig(), { prefix }) }
  }],
]

describe.each(kinds)('RouterStore contract: %s', (_kind, make) => {
  let store: RouterStore
  let other: RouterStore
  beforeAll(async () => {
    ;({ store, other } = await make())
  })
  afterAll(async () => {
    await store?.close()
    if (other !== store) await other?.close()
  })
  const claim = (user: string, service = 'svc', host = 'h1:22') => ({ user, service, host, client: '127.0.0.1:1' })

  it('admits within the limit, refuses beyond it, and frees a place on release', async () => {
    const a = await store.admit(claim('lim'), 2)
    const b = await other.admit(claim('lim', 'svc2'), 2)
    expect(a && b).toBeTruthy()
    expect(await store.admit(claim('lim'), 2)).toBeNull()
    await a!.release(0)
    const c = await store.admit(claim('lim'), 2)
    expect(c).not.toBeNull()
    await Promise.all([b!.release(0), c!.release(0)])
    expect(await store.connections({ user: 'lim' })).toEqual([])
  })

  it('admits exactly 2 of 20 simultaneous attempts through two instances', async () => {
    const tries = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? store : other).admit(claim('race'), 2)))
    const admitted = tries.filter((t) => t !== null)
    expect(admitted.length).toBe(2)
    expect((await store.connections({ user: 'race' })).length).toBe(2)
    await Promise.all(admitted.map((t) => t!.release(0)))
  })

  it('is sticky to the newest live connection, then to history within its TTL', async () => {
    const old = await store.admit(claim('st', 'svc', 'zz-old:22'), 0)
    await new Promise((r) => setTimeout(r, 5))
    const newer = await other.admit(claim('st', 'svc', 'aa-new:22'), 0)
    // The newest, not the lexicographically last (sshproxy's pick).
    expect(await store.stickyHost('st', 'svc')).toBe('aa-new:22')
    await old!.release(0)
    await newer!.release(2_000)
    expect(await other.stickyHost('st', 'svc')).toBe('aa-new:22')
    await store.forgetSticky('st', 'svc')
    expect(await store.stickyHost('st', 'svc')).toBeUndefined()
  })

  it('forgets history once its TTL passed', async () => {
    const t = await store.admit(claim('ttl'), 0)
    await t!.release(2_000)
    expect(await store.stickyHost('ttl', 'svc')).toBe('h1:22')
    // etcd expires leases on its own clock, within a second or so of the TTL.
    const deadline = Date.now() + 6_000
    while ((await store.stickyHost('ttl', 'svc')) !== undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200))
    expect(await store.stickyHost('ttl', 'svc')).toBeUndefined()
  }, 15_000)

  it('keeps alice@svc apart from alice@svc2, and a / in a name inside its own key', async () => {
    const t = await store.admit(claim('alice', 'svc2', 'x:22'), 0)
    expect(await store.stickyHost('alice', 'svc')).toBeUndefined()
    const slash = await store.admit(claim('a/../b', 's/v', 'h/1:22'), 1)
    expect(await store.connections({ user: 'a/../b', service: 's/v' })).toMatchObject([{ user: 'a/../b', service: 's/v', host: 'h/1:22' }])
    expect(await store.connections({ user: 'b' })).toEqual([])
    await t!.release(0)
    await slash!.release(0)
  })

  it('records host health; a disabled host stays disabled until enabled', async () => {
    await store.markHost('hh:22', 'down')
    expect(await other.host('hh:22')).toMatchObject({ state: 'down' })
    await store.setDisabled('hh:22', true)
    await other.markHost('hh:22', 'up')
    expect(await store.host('hh:22')).toMatchObject({ state: 'disabled' })
    await store.setDisabled('hh:22', false)
    expect(await other.host('hh:22')).toMatchObject({ state: 'up' })
    expect((await store.hosts()).map((h) => h.host)).toContain('hh:22')
  })

  it('publishes rates for bandwidth selection', async () => {
    const t = await store.admit(claim('bw'), 0)
    await t!.updateRates(1000, 2000)
    expect(await other.connections({ user: 'bw' })).toMatchObject([{ bytesInRate: 1000, bytesOutRate: 2000 }])
    await t!.release(0)
  })
})
