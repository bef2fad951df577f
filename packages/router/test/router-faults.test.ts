// Faults around the Router, with real ssh and real sshd: a host killed mid-transfer, a client
// that vanishes, a host whose sshd stops, and 500 connect/close cycles leaving nothing behind.
import { spawn } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openFdCount, runCommand, waitFor } from '@x/testbed'
import type { RouteTarget } from '../src/index.js'
import { startPool, startRouter, type Pool, type RouterFixture } from './support/router-site.js'

const SSH = '/usr/bin/ssh'

describe('Router faults', () => {
  let pool: Pool
  let target: RouteTarget
  let r: RouterFixture
  beforeAll(async () => {
    pool = await startPool(2)
    target = { dest: [pool.hosts[0]!.text], mode: 'balanced' }
    r = await startRouter(pool, { route: () => target })
  }, 60_000)
  afterAll(async () => {
    await r?.close()
    await pool?.close()
  })
  const noneLeft = () => waitFor(async () => (await r.router.store.connections()).length === 0 && (await pool.hosts[0]!.sshd.connectionPids()).length === 0, { timeoutMs: 20_000, description: 'no connection left on the router or the host' })

  it('ends the client with an error, not a hang, when its host dies mid-transfer', async () => {
    const child = spawn(SSH, [...r.ssh, `${pool.user}@127.0.0.1`, 'exec cat /dev/zero'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let bytes = 0
    child.stdout!.on('data', (d: Buffer) => (bytes += d.length))
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    await waitFor(() => bytes > 1_000_000, { timeoutMs: 20_000 })
    for (const pid of await pool.hosts[0]!.sshd.connectionPids()) process.kill(pid, 'SIGKILL')
    const code = await Promise.race([exited, new Promise<'hang'>((res) => setTimeout(() => res('hang'), 15_000))])
    if (code === 'hang') child.kill('SIGKILL')
    expect(code).not.toBe('hang')
    expect(code).not.toBe(0)
    expect(r.log).toContainEqual(expect.objectContaining({ event: 'upstream-closed', host: pool.hosts[0]!.text }))
    await noneLeft()
  })

  it('closes the host leg when the client vanishes', async () => {
    const child = spawn(SSH, [...r.ssh, `${pool.user}@127.0.0.1`, 'echo up; exec sleep 300'], { stdio: ['ignore', 'pipe', 'ignore'] })
    let out = ''
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
    await waitFor(() => out.includes('up'), { timeoutMs: 20_000 })
    expect((await pool.hosts[0]!.sshd.connectionPids()).length).toBeGreaterThan(0)
    child.kill('SIGKILL')
    // The client's TCP connection closes with it; the router closes the host's.
    await noneLeft()
  })

  it('marks a host whose sshd stopped down within check_interval and avoids it', async () => {
    const extra = await startPool(1)
    try {
      const stopped = extra.hosts[0]!
      // The router's known_hosts lacks this host's keys: mark it only; routing avoids it anyway once down.
      const interval = 500
      r.router.setPools([{ dest: [{ host: '127.0.0.1', port: stopped.sshd.port, text: stopped.text }], checkIntervalMs: interval }])
      await waitFor(async () => (await r.router.store.host(stopped.text))?.state === 'up', { timeoutMs: 10_000, description: 'the host up' })
      await stopped.sshd.close()
      const t0 = Date.now()
      await waitFor(async () => (await r.router.store.host(stopped.text))?.state === 'down', { timeoutMs: 10_000, description: 'the host down' })
      // Two failed probes (fall 2), each after at most one interval, each bounded by the probe's connect limit.
      expect(Date.now() - t0).toBeLessThan(2 * interval + 2 * 1_000 + 1_000)
      target = { dest: [stopped.text, pool.hosts[1]!.text], routeSelect: 'ordered', mode: 'balanced', checkIntervalMs: 60_000 }
      const res = await runCommand(SSH, [...r.ssh, `${pool.user}@127.0.0.1`, 'echo "$X_HOST"'], { allowFailure: true, timeoutMs: 20_000 })
      expect(res.stdout).toBe('h2\n')
    } finally {
      r.router.setPools([])
      target = { dest: [pool.hosts[0]!.text], mode: 'balanced' }
      await extra.close()
    }
  })

  it('leaves no fd, process or store entry behind after 500 connect/close cycles', async () => {
    const fds = openFdCount()
    const cycles = 500
    const width = 8
    let failures = 0
    let next = 0
    await Promise.all(Array.from({ length: width }, async () => {
      while (next < cycles) {
        next++
        const res = await runCommand(SSH, [...r.ssh, `${pool.user}@127.0.0.1`, 'true'], { allowFailure: true, timeoutMs: 30_000 })
        if (res.code !== 0) failures++
      }
    }))
    expect(failures).toBe(0)
    await noneLeft()
    expect(r.router.listeners[0]!.server.connections.size).toBe(0)
    // A little slack for descriptors Node opens lazily (e.g. a DNS or crypto worker).
    await waitFor(() => openFdCount() <= fds + 3, { timeoutMs: 10_000, description: `fds back to ${fds} (now ${openFdCount()})` })
  }, 240_000)
})
