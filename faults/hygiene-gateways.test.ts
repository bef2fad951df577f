/**
 * Hygiene at scale through gateways (issue #5): 200 sequential connect/run/close cycles through
 * a ProxyCommand and 200 through a 2-hop ProxyJump into the isolated site leave fds within 2 of
 * the baseline, no new active handle, no child or zombie (a ProxyCommand's group is reaped by
 * close()), heap growth under 5 MiB after GC, no process-wide listener and no sshd session.
 * Moved here from packages/connection/test/gateway-faults.test.ts to use the full leak probe.
 */
import { childPids, startSite, waitFor, type SiteHandle } from '@x/testbed'
import { Connection } from '@x/connection'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { siteConfig } from '../packages/connection/test/site-helpers.js'
import { recordFigure } from './support/figures.js'
import { leakProbe, type LeakReport } from './support/leaks.js'
import { since } from './support/outcome.js'

let site: SiteHandle
let config: { text: string }
beforeAll(async () => {
  site = await startSite()
  config = { text: siteConfig(site) }
}, 60_000)
afterAll(async () => {
  await site?.close()
})

/** Waits (bounded) until none of `servers` has a per-connection process left; returns how many are. */
async function serverSessionsLeft(servers: ReadonlyArray<{ connectionPids(): Promise<number[]> }>): Promise<number> {
  const count = async (): Promise<number> => (await Promise.all(servers.map((s) => s.connectionPids()))).reduce((n, pids) => n + pids.length, 0)
  await waitFor(async () => (await count()) === 0, { timeoutMs: 5_000, intervalMs: 25 }).catch(() => {})
  return count()
}

/** Runs `cycles` sequential connect/run/close cycles of `make()`; returns the elapsed ms. */
async function cycle(cycles: number, make: () => Connection, afterEach?: () => void): Promise<number> {
  const t0 = performance.now()
  for (let i = 0; i < cycles; i++) {
    const c = make()
    try {
      expect((await c.run(`echo ${i}`)).stdout).toBe(`${i}\n`)
    } finally {
      await c.close()
    }
    afterEach?.()
  }
  return since(t0)
}

function record(name: string, elapsed: number, cycles: number, report: LeakReport, sessionsLeft: number): void {
  recordFigure({ case: name, measure: 'duration', value: elapsed, unit: 'ms' })
  recordFigure({ case: name, measure: 'rate', value: Math.round((cycles / elapsed) * 1e4) / 10, unit: 'cycles/s' })
  recordFigure({ case: name, measure: 'fd growth', value: report.fdGrowth, unit: 'fds', bound: 2 })
  recordFigure({ case: name, measure: 'heap growth after GC', value: Math.round(report.heapGrowthMiB * 100) / 100, unit: 'MiB', bound: 5 })
  recordFigure({ case: name, measure: 'sshd connection processes left', value: sessionsLeft, unit: 'processes', bound: 0 })
}

describe('hygiene over many gateway cycles', () => {
  it('leaves nothing behind after 200 sequential connect/run/close cycles through a ProxyCommand', async () => {
    const make = (): Connection => new Connection('bastion', { config, gateway: `socat - TCP:127.0.0.1:${site.bastion.port}` })
    await cycle(3, make) // warm-up, outside the baseline
    await serverSessionsLeft([site.bastion])
    const children = childPids()
    const probe = leakProbe()
    // close() resolves only once the command's process group is gone and reaped: check each cycle.
    const elapsed = await cycle(200, make, () => expect(childPids()).toEqual(children))
    const report = await probe.check()
    const left = await serverSessionsLeft([site.bastion])
    record('200 ProxyCommand connect/run/close cycles', elapsed, 200, report, left)
    expect(report.problems).toEqual([])
    expect(left).toBe(0)
  }, 240_000)

  it('leaves nothing behind after 200 sequential connect/run/close cycles through a 2-hop proxyJump', async () => {
    const make = (): Connection => new Connection('inner', { config, proxyJump: 'bastion,middle' })
    await cycle(3, make)
    await serverSessionsLeft([site.bastion, site.middle, site.inner])
    const probe = leakProbe()
    // Strictly one after another (~0.5 s a cycle here, mostly round trips through two sshds).
    const elapsed = await cycle(200, make)
    const report = await probe.check()
    const left = await serverSessionsLeft([site.bastion, site.middle, site.inner])
    record('200 2-hop ProxyJump connect/run/close cycles', elapsed, 200, report, left)
    expect(report.problems).toEqual([])
    expect(left).toBe(0)
  }, 420_000)
})
