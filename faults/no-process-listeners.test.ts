/**
 * No library code adds a process-wide listener (DESIGN.md §3 "Errors", issue #5): `process`'s
 * listeners are the same before, during and after a connection's life — direct with keepalive
 * ticking, SFTP and a local forward open; through a ProxyCommand; through a ProxyJump hop.
 */
import { startSshd, type SshdHandle } from '@x/testbed'
import { Connection, type ConnectionOptions } from '@x/connection'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configFor } from '../packages/connection/test/helpers.js'
import { recordFigure } from './support/figures.js'
import { leakProbe } from './support/leaks.js'

let sshd: SshdHandle
beforeAll(async () => {
  sshd = await startSshd()
})
afterAll(async () => {
  await sshd?.close()
})

/** Every listener on `process`, per event name, by identity. */
function processListeners(): Map<string | symbol, Function[]> {
  return new Map(process.eventNames().map((name) => [name, process.rawListeners(name)]))
}

/** The event names whose listener lists differ between two snapshots. */
function changed(a: Map<string | symbol, Function[]>, b: Map<string | symbol, Function[]>): string[] {
  const names = new Set([...a.keys(), ...b.keys()])
  return [...names].filter((name) => {
    const x = a.get(name) ?? []
    const y = b.get(name) ?? []
    return x.length !== y.length || x.some((fn, i) => fn !== y[i])
  }).map(String)
}

/**
 * Opens, uses and closes a Connection, checking process listeners at each stage; returns every
 * changed event name seen (empty when clean) and records their count.
 */
async function lifeCycle(name: string, host: string, options: ConnectionOptions): Promise<string[]> {
  const before = processListeners()
  const seen: string[] = []
  const probe = leakProbe()
  const c = new Connection(host, { keepalive: { intervalMs: 100, countMax: 3 }, ...options })
  try {
    await c.open()
    seen.push(...changed(before, processListeners()))
    expect((await c.run('echo hi')).stdout).toBe('hi\n')
    const sftp = await c.sftp()
    expect((await sftp.stat('/')).isDirectory()).toBe(true)
    const forward = await c.forwardLocal({ remoteHost: sshd.host, remotePort: sshd.port })
    // Let keepalive send and get answered a few times.
    await sleep(450)
    expect(c.isConnected).toBe(true)
    seen.push(...changed(before, processListeners()))
    await forward.close()
  } finally {
    await c.close()
  }
  seen.push(...changed(before, processListeners()))
  expect((await probe.check()).problems).toEqual([])
  recordFigure({ case: 'no process-wide listeners', measure: `process listeners changed during a connection's life (${name})`, value: seen.length, unit: 'listeners', bound: 0 })
  return seen
}

describe('process-wide listeners', () => {
  it('are untouched by a direct connection with keepalive, run, SFTP and a local forward', async () => {
    expect(await lifeCycle('direct', 'target', { config: configFor(sshd) })).toEqual([])
  })

  it('are untouched by a connection through a ProxyCommand', async () => {
    expect(await lifeCycle('ProxyCommand', 'target', { config: configFor(sshd), gateway: 'socat - TCP:%h:%p' })).toEqual([])
  })

  it('are untouched by a connection through a ProxyJump hop', async () => {
    const config = { text: configFor(sshd).text + configFor(sshd, [], 'jump').text }
    expect(await lifeCycle('ProxyJump', 'target', { config, proxyJump: 'jump' })).toEqual([])
  })
})
