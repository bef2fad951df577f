/**
 * Hygiene at scale (issue #5): a thousand direct connect/close cycles and a thousand mixed
 * failures against one real sshd leave nothing behind — fds within 2 of the baseline, no new
 * active handle, no child or zombie, heap growth under 5 MiB after GC, no process-wide listener,
 * and no sshd connection process. The 200-cycle ProxyJump and ProxyCommand runs are in
 * hygiene-gateways.test.ts.
 */
import { writeFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { closedPort, startSshd, waitFor, type SshdHandle } from '@x/testbed'
import {
  AuthenticationError,
  ConnectError,
  Connection,
  HostKeyError,
  ProxyCommandError,
  type ConnectionOptions,
} from '@x/connection'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configFor } from '../packages/connection/test/helpers.js'
import { recordFigure } from './support/figures.js'
import { leakProbe } from './support/leaks.js'
import { failure, since } from './support/outcome.js'

let sshd: SshdHandle
let dir: string
beforeAll(async () => {
  sshd = await startSshd()
  dir = await mkdtemp(join(tmpdir(), 'xssh-hygiene-'))
})
afterAll(async () => {
  await sshd?.close()
  await rm(dir, { recursive: true, force: true })
})

/** Waits (bounded) until sshd has no per-connection process left. */
async function sshdSessionsGone(): Promise<number> {
  await waitFor(async () => (await sshd.connectionPids()).length === 0, { timeoutMs: 5_000, intervalMs: 25 }).catch(() => {})
  return (await sshd.connectionPids()).length
}

describe('1,000 sequential direct cycles', () => {
  it('connect/close 1,000 times leaving fds within 2, no handle, child, zombie, listener or sshd session, heap growth < 5 MiB', async () => {
    const config = configFor(sshd)
    // Warm-up: lazy module state (ssh2's crypto tables, key parsing) is not a leak.
    for (let i = 0; i < 5; i++) {
      const c = new Connection('target', { config })
      await c.run('true')
      await c.close()
    }
    await sshdSessionsGone()
    const probe = leakProbe()
    const cycles = 1_000
    const t0 = performance.now()
    for (let i = 0; i < cycles; i++) {
      const c = new Connection('target', { config })
      try {
        await c.open()
        expect(c.isConnected).toBe(true)
        // Every 100th cycle proves the session is usable, not just authenticated.
        if (i % 100 === 0) expect((await c.run(`echo ${i}`)).stdout).toBe(`${i}\n`)
      } finally {
        await c.close()
      }
      expect(c.isConnected).toBe(false)
    }
    const elapsed = since(t0)
    const report = await probe.check()
    const leftOnServer = await sshdSessionsGone()
    recordFigure({ case: '1,000 direct connect/close cycles', measure: 'duration', value: elapsed, unit: 'ms' })
    recordFigure({ case: '1,000 direct connect/close cycles', measure: 'rate', value: Math.round((cycles / elapsed) * 1e4) / 10, unit: 'cycles/s' })
    recordFigure({ case: '1,000 direct connect/close cycles', measure: 'fd growth', value: report.fdGrowth, unit: 'fds', bound: 2 })
    recordFigure({ case: '1,000 direct connect/close cycles', measure: 'heap growth after GC', value: Math.round(report.heapGrowthMiB * 100) / 100, unit: 'MiB', bound: 5 })
    recordFigure({ case: '1,000 direct connect/close cycles', measure: 'sshd connection processes left', value: leftOnServer, unit: 'processes', bound: 0 })
    expect(report.problems).toEqual([])
    expect(leftOnServer).toBe(0)
  }, 300_000)
})

describe('1,000 mixed failures', () => {
  it('refused, bad auth, host-key mismatch and ProxyCommand exit 1 (250 each) fail typed and leave nothing behind', async () => {
    const config = configFor(sshd)
    const refusedPort = await closedPort()
    const wrongKnownHosts = join(dir, 'known_hosts.wrong')
    // The server's name with someone else's ed25519 key: a changed host key.
    await writeFile(wrongKnownHosts, `[${sshd.host}]:${sshd.port} ${sshd.clientKeys.unauthorized.publicLine}\n`)
    const kinds: ReadonlyArray<{ name: string; options: ConnectionOptions; check(err: unknown): void }> = [
      {
        name: 'refused port',
        options: { port: refusedPort },
        check: (err) => {
          expect(err).toBeInstanceOf(ConnectError)
          expect((err as ConnectError).code).toBe('ERR_SSH_CONNECT')
          expect((err as ConnectError).port).toBe(refusedPort)
        },
      },
      {
        name: 'bad auth',
        options: { auth: { privateKeys: [sshd.clientKeys.unauthorized.privatePath], lookForKeys: false, agent: false } },
        check: (err) => {
          expect(err).toBeInstanceOf(AuthenticationError)
          expect((err as AuthenticationError).code).toBe('ERR_SSH_AUTH')
        },
      },
      {
        name: 'host-key mismatch',
        options: { hostKeys: { knownHostsFiles: [wrongKnownHosts] } },
        check: (err) => {
          expect(err).toBeInstanceOf(HostKeyError)
          expect((err as HostKeyError).code).toBe('ERR_SSH_HOST_KEY')
          expect((err as HostKeyError).reason).toBe('mismatch')
        },
      },
      {
        name: 'ProxyCommand exit 1',
        options: { gateway: "sh -c 'exit 1'" },
        check: (err) => {
          expect(err).toBeInstanceOf(ProxyCommandError)
          expect((err as ProxyCommandError).code).toBe('ERR_SSH_PROXY_COMMAND')
          expect((err as ProxyCommandError).exitCode).toBe(1)
        },
      },
    ]
    // Warm-up: one of each, outside the baseline.
    for (const kind of kinds) {
      const c = new Connection('target', { config, ...kind.options })
      kind.check(await failure(c.open()))
      await c.close()
    }
    await sshdSessionsGone()
    const probe = leakProbe()
    const perKind = 250
    const durations = new Map(kinds.map((k) => [k.name, 0]))
    const t0 = performance.now()
    for (let i = 0; i < perKind * kinds.length; i++) {
      const kind = kinds[i % kinds.length]!
      const c = new Connection('target', { config, ...kind.options })
      const started = performance.now()
      try {
        kind.check(await failure(c.open()))
        expect(c.isConnected).toBe(false)
      } finally {
        await c.close()
      }
      durations.set(kind.name, durations.get(kind.name)! + since(started))
    }
    const elapsed = since(t0)
    const report = await probe.check()
    const leftOnServer = await sshdSessionsGone()
    recordFigure({ case: '1,000 mixed failures', measure: 'duration', value: elapsed, unit: 'ms' })
    for (const [name, total] of durations) {
      recordFigure({ case: '1,000 mixed failures', measure: `mean time to typed error + close: ${name}`, value: Math.round((total / perKind) * 10) / 10, unit: 'ms' })
    }
    recordFigure({ case: '1,000 mixed failures', measure: 'fd growth', value: report.fdGrowth, unit: 'fds', bound: 2 })
    recordFigure({ case: '1,000 mixed failures', measure: 'heap growth after GC', value: Math.round(report.heapGrowthMiB * 100) / 100, unit: 'MiB', bound: 5 })
    recordFigure({ case: '1,000 mixed failures', measure: 'sshd connection processes left', value: leftOnServer, unit: 'processes', bound: 0 })
    expect(report.problems).toEqual([])
    expect(leftOnServer).toBe(0)
  }, 240_000)
})
