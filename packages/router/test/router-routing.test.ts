// Routing through the Router with real ssh in front of a pool of three real sshd hosts: how each
// route_select spreads 60 connections, stickiness, failover inside one client connection, a
// stopped host avoided, a disabled host drained, and the per-user limit.
import { spawn, type ChildProcess } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, runCommand, waitFor } from '@x/testbed'
import { shuffled } from '../src/select/shuffle.js'
import type { RouteTarget } from '../src/index.js'
import { seededRandom } from './helpers/pool.js'
import { startPool, startRouter, type Pool, type RouterFixture } from './support/router-site.js'

const SSH = '/usr/bin/ssh'

describe('Router routing over a pool of three sshd hosts', () => {
  let pool: Pool
  let target: RouteTarget
  let r: RouterFixture
  beforeAll(async () => {
    pool = await startPool(3)
    target = { dest: pool.hosts.map((h) => h.text), mode: 'balanced' }
    r = await startRouter(pool, { route: () => target, random: seededRandom(42) })
  }, 60_000)
  afterAll(async () => {
    await r?.close()
    await pool?.close()
  })

  const landOn = async (): Promise<string> => {
    const res = await runCommand(SSH, [...r.ssh, `${pool.user}@127.0.0.1`, 'echo "$X_HOST"'], { allowFailure: true, timeoutMs: 30_000 })
    if (res.code !== 0) throw new Error(`ssh exited ${res.code}: ${res.stderr}`)
    return res.stdout.trim()
  }
  const spread = async (n: number): Promise<Record<string, number>> => {
    const counts: Record<string, number> = {}
    for (let i = 0; i < n; i++) {
      const h = await landOn()
      counts[h] = (counts[h] ?? 0) + 1
    }
    return counts
  }
  /** An ssh holding a session open on its host, once it said which. */
  const hold = async (): Promise<{ host: string; child: ChildProcess }> => {
    const child = spawn(SSH, [...r.ssh, `${pool.user}@127.0.0.1`, 'echo "$X_HOST"; exec sleep 120'], { stdio: ['ignore', 'pipe', 'ignore'] })
    let out = ''
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
    await waitFor(() => out.includes('\n') || child.exitCode !== null, { timeoutMs: 20_000 })
    return { host: out.trim(), child }
  }
  const release = async (held: { child: ChildProcess }[]): Promise<void> => {
    await Promise.all(held.map(({ child }) => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve()
      child.once('exit', () => resolve())
      child.kill('SIGKILL')
    })))
    await waitFor(async () => (await r.router.store.connections()).length === 0, { timeoutMs: 20_000, description: 'the store empty' })
  }

  it('lands ssh on a pool host', async () => {
    target = { ...target, routeSelect: 'ordered' }
    expect(['h1', 'h2', 'h3']).toContain(await landOn())
  })

  it('ordered sends all 60 connections to the first host that is up', async () => {
    target = { ...target, routeSelect: 'ordered' }
    expect(await spread(60)).toEqual({ h1: 60 })
  })

  it('round-robin gives 20 of 60 to each host', async () => {
    target = { ...target, routeSelect: 'round-robin' }
    expect(await spread(60)).toEqual({ h1: 20, h2: 20, h3: 20 })
  })

  it('random follows its random source: the first host of each uniform shuffle', async () => {
    const rng = seededRandom(7)
    r.router.setRoute(() => target)
    target = { ...target, routeSelect: 'random' }
    // A router whose random source is a copy of the one the expectation is drawn from.
    await r.close()
    r = await startRouter(pool, { route: () => target, random: seededRandom(7) })
    const expected: Record<string, number> = {}
    for (let i = 0; i < 60; i++) {
      const first = shuffled(['h1', 'h2', 'h3'], rng)[0]!
      expected[first] = (expected[first] ?? 0) + 1
    }
    const got = await spread(60)
    expect(got).toEqual(expected)
    // Uniform enough to be random: every host had its turn.
    expect(Object.keys(got).sort()).toEqual(['h1', 'h2', 'h3'])
  })

  it('connections sends each new connection to the host with the fewest live ones: 20/20/20 of 60 held open', async () => {
    target = { ...target, routeSelect: 'connections' }
    const held: { host: string; child: ChildProcess }[] = []
    try {
      for (let i = 0; i < 60; i++) held.push(await hold())
      const counts: Record<string, number> = {}
      for (const h of held) counts[h.host] = (counts[h.host] ?? 0) + 1
      expect(counts).toEqual({ h1: 20, h2: 20, h3: 20 })
      expect((await r.router.store.connections()).length).toBe(60)
    } finally {
      await release(held)
    }
  }, 120_000)

  it('bandwidth sends a new connection away from the host whose connection moves the most bytes', async () => {
    target = { ...target, routeSelect: 'bandwidth', mode: 'balanced' }
    // A stream that keeps moving: its rates reach the store within the router's 2 s update.
    const heavy = spawn(SSH, [...r.ssh, `${pool.user}@127.0.0.1`, 'echo "$X_HOST"; exec cat /dev/zero'], { stdio: ['ignore', 'pipe', 'ignore'] })
    let first = ''
    heavy.stdout!.on('data', (d: Buffer) => {
      if (first === '') first = d.toString().split('\n')[0]!
    })
    try {
      await waitFor(() => first !== '', { timeoutMs: 20_000 })
      expect(first).toBe('h1') // no rates yet: config order
      await waitFor(async () => (await r.router.store.connections()).some((c) => c.bytesOutRate > 1_000_000), { timeoutMs: 10_000, description: 'rates published' })
      // h2 and h3 move nothing: the tie goes by connections, then config order.
      expect(await spread(3)).toEqual({ h2: 3 })
    } finally {
      await release([{ child: heavy }])
    }
  }, 60_000)

  it('sticky sends a user with a live session to its host, and is free again after the TTL', async () => {
    target = { ...target, routeSelect: 'round-robin', mode: 'sticky', stickyTtlMs: 1_500 }
    const routes = () => r.log.filter((e) => e.event === 'route')
    const first = await hold()
    try {
      for (let i = 0; i < 4; i++) expect(await landOn()).toBe(first.host)
    } finally {
      await release([first])
    }
    // Remembered for the TTL after the last connection ended…
    expect(await landOn()).toBe(first.host)
    expect(routes().at(-1)).toMatchObject({ sticky: true, host: pool.hosts.find((h) => h.name === first.host)!.text })
    // …then routing is free again: route_select chooses (and the new host is remembered in turn).
    await new Promise((res) => setTimeout(res, 1_800))
    await landOn()
    expect(routes().at(-1)).toMatchObject({ sticky: false })
  })

  it('skips a host that refuses at connect inside the same client connection', async () => {
    const closed = await freePort()
    const dead = `127.0.0.1:${closed}`
    // Probed before use (check_interval 0): the probe finds it down and the next host is used.
    target = { dest: [dead, pool.hosts[1]!.text], routeSelect: 'ordered', mode: 'balanced' }
    expect(await landOn()).toBe('h2')
    expect((await r.router.store.host(dead))?.state).toBe('down')
    // Trusted up (a fresh record within check_interval): the real connect is refused, the host
    // is marked down, and the same client connection goes on to the next host.
    await r.router.store.markHost(dead, 'up')
    target = { ...target, checkIntervalMs: 60_000 }
    const before = r.log.length
    expect(await landOn()).toBe('h2')
    const events = r.log.slice(before)
    expect(events).toContainEqual(expect.objectContaining({ event: 'upstream-failed', host: dead, code: 'ERR_SSH_CONNECT' }))
    expect(events).toContainEqual(expect.objectContaining({ event: 'route', host: pool.hosts[1]!.text, attempts: 2 }))
    expect((await r.router.store.host(dead))?.state).toBe('down')
  })

  it('shows the error banner when no host can take the connection', async () => {
    const closed = await freePort()
    target = { dest: [`127.0.0.1:${closed}`], errorBanner: 'The pool is closed for maintenance' }
    const res = await runCommand(SSH, [...r.ssh, `${pool.user}@127.0.0.1`, 'echo hi'], { allowFailure: true, timeoutMs: 30_000 })
    expect(res.stdout).toBe('')
    expect(res.stderr).toContain('The pool is closed for maintenance')
    expect(res.code).not.toBe(0)
  })

  it('disable drains a host: no new sessions there, the live one goes on', async () => {
    target = { dest: pool.hosts.map((h) => h.text), routeSelect: 'ordered', mode: 'balanced' }
    const live = await hold()
    expect(live.host).toBe('h1')
    try {
      await r.router.store.setDisabled(pool.hosts[0]!.text, true)
      expect(await spread(5)).toEqual({ h2: 5 })
      expect(live.child.exitCode).toBeNull()
      expect((await r.router.store.connections({ host: pool.hosts[0]!.text })).length).toBe(1)
    } finally {
      await r.router.store.setDisabled(pool.hosts[0]!.text, false)
      await release([live])
    }
    expect(await landOn()).toBe('h1')
  })

  it('holds max_connections_per_user: 2 under 20 simultaneous attempts (exactly 2 admitted)', async () => {
    target = { dest: pool.hosts.map((h) => h.text), routeSelect: 'round-robin', mode: 'balanced', maxConnectionsPerUser: 2 }
    const tries = await Promise.all(Array.from({ length: 20 }, () => hold()))
    try {
      const admitted = tries.filter((t) => t.host.startsWith('h'))
      expect(admitted.length).toBe(2)
      expect((await r.router.store.connections({ user: pool.user })).length).toBe(2)
    } finally {
      await release(tries)
    }
  }, 60_000)
})
