/**
 * Dead peers and partitions (issue #5, liveness): a blackholed connect, a peer frozen while
 * idle, a peer frozen mid-download, a partition in the isolated site during a running command,
 * and close() against a frozen peer. Real OpenSSH sshd; freezes are SIGSTOP of the server's
 * per-connection processes, partitions are tc drops inside the site's namespace.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freezeProcesses, socketsTo, startSite, startSshd, testUserTempDir, type SiteHandle, type SshdHandle } from '@x/testbed'
import { Connection, SSHError, TimeoutError, type SSHError as SSHErrorType } from '@x/connection'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectionTo } from '../packages/connection/test/helpers.js'
import { siteConfig } from '../packages/connection/test/site-helpers.js'
import { recordFigure } from './support/figures.js'
import { leakProbe } from './support/leaks.js'
import { failure, since, within } from './support/outcome.js'
import { SHORT_KEEPALIVE, keepaliveBoundMs, killStopped } from './support/peers.js'
import { startUnansweredPort } from './support/unanswered-port.js'

let sshd: SshdHandle
let site: SiteHandle
let config: { text: string }
let localDir: string
let remoteDir: string
beforeAll(async () => {
  ;[sshd, site] = await Promise.all([startSshd(), startSite()])
  config = { text: siteConfig(site) }
  localDir = await mkdtemp(join(tmpdir(), 'xssh-dead-peers-'))
  remoteDir = await testUserTempDir('dead-peers-')
  // Load every module a case uses before any leak baseline is taken.
  await using warm = connectionTo(sshd)
  await warm.run('true')
}, 60_000)
afterAll(async () => {
  await Promise.allSettled([sshd?.close(), site?.close()])
  await rm(localDir, { recursive: true, force: true })
  await rm(remoteDir, { recursive: true, force: true })
})

const BOUND = keepaliveBoundMs(SHORT_KEEPALIVE)

/** A keepalive failure as the contract has it: TimeoutError{phase:'keepalive'}, or ConnectionLostError for a call it took down. */
function expectDeadPeerError(err: unknown): void {
  expect(err).toBeInstanceOf(SSHError)
  expect(['ERR_SSH_TIMEOUT', 'ERR_SSH_CONNECTION_LOST']).toContain((err as SSHErrorType).code)
  if (err instanceof TimeoutError) expect(err.phase).toBe('keepalive')
}

/** Opens `c`, makes one round trip (OpenSSH's post-auth child exists only after it) and lists the server's connection processes. */
async function openAndListPids(c: Connection, server: { connectionPids(): Promise<number[]> }): Promise<number[]> {
  await c.run('true')
  const pids = await server.connectionPids()
  expect(pids.length).toBeGreaterThan(0)
  return pids
}

describe('a blackholed connect', () => {
  it('fails with TimeoutError{phase:"connect"} within connectTimeoutMs + 1 s when SYNs go unanswered', async () => {
    await using port = await startUnansweredPort()
    const probe = leakProbe()
    const connectTimeoutMs = 1_000
    const c = new Connection(`${sshd.user}@${port.host}:${port.port}`, {
      config: false,
      connectTimeoutMs,
      auth: { agent: false, privateKeys: [sshd.clientKeys.ed25519.privatePath] },
      hostKeys: { knownHostsFiles: [sshd.knownHostsFile], policy: 'strict' },
    })
    const t0 = performance.now()
    const err = await failure(c.open())
    const elapsed = since(t0)
    expect(err).toBeInstanceOf(TimeoutError)
    expect((err as TimeoutError).phase).toBe('connect')
    expect(elapsed).toBeGreaterThanOrEqual(connectTimeoutMs - 50)
    expect(elapsed).toBeLessThanOrEqual(connectTimeoutMs + 1_000)
    recordFigure({ case: 'blackholed connect (SYNs dropped)', measure: 'time to TimeoutError{connect}', value: elapsed, unit: 'ms', bound: connectTimeoutMs + 1_000 })
    await c.close()
    expect(c.isConnected).toBe(false)
    expect((await probe.check()).problems).toEqual([])
  })

  it('fails with TimeoutError{phase:"connect"} within connectTimeoutMs + 1 s when the host behind a jump is partitioned', async () => {
    await using bastion = new Connection('bastion', { config })
    await bastion.open()
    const probe = leakProbe()
    await site.partition(['inner'])
    try {
      const connectTimeoutMs = 1_000
      const c = new Connection('inner', { config, gateway: bastion, connectTimeoutMs })
      const t0 = performance.now()
      const err = await failure(c.open())
      const elapsed = since(t0)
      expect(err).toBeInstanceOf(TimeoutError)
      expect((err as TimeoutError).phase).toBe('connect')
      expect(elapsed).toBeLessThanOrEqual(connectTimeoutMs + 1_000)
      recordFigure({ case: 'blackholed connect through a jump (site partition)', measure: 'time to TimeoutError{connect}', value: elapsed, unit: 'ms', bound: connectTimeoutMs + 1_000 })
      await c.close()
      // The borrowed gateway is untouched by its target's failure.
      expect((await bastion.run('echo up')).stdout).toBe('up\n')
    } finally {
      await site.heal()
    }
    expect((await probe.check()).problems).toEqual([])
  })
})

describe('a dead peer', () => {
  it('closes an idle connection whose peer stopped with TimeoutError{phase:"keepalive"} within (countMax+1)×interval + 1 s', async () => {
    const probe = leakProbe()
    const c = connectionTo(sshd, { keepalive: SHORT_KEEPALIVE })
    const pids = await openAndListPids(c, sshd)
    const closed = new Promise<SSHErrorType | undefined>((resolve) => c.transport!.once('close', resolve))
    try {
      const t0 = performance.now()
      await freezeProcesses(pids)
      const err = await within(closed, BOUND + 5_000, 'keepalive detection')
      const elapsed = since(t0)
      expect(err).toBeInstanceOf(TimeoutError)
      expect((err as TimeoutError).phase).toBe('keepalive')
      expect(elapsed).toBeLessThanOrEqual(BOUND)
      expect(c.isConnected).toBe(false)
      recordFigure({ case: 'dead peer, idle (sshd SIGSTOP)', measure: 'time to TimeoutError{keepalive}', value: elapsed, unit: 'ms', bound: BOUND })
      await c.close()
    } finally {
      killStopped(pids)
    }
    expect(socketsTo(sshd.port)).toBe(0)
    expect((await probe.check()).problems).toEqual([])
  })

  it('rejects a 256 MiB get when the peer stops mid-transfer within the bound, leaving no file that looks complete', async () => {
    const size = 256 << 20
    const remote = join(remoteDir, 'big.bin')
    const dest = join(localDir, 'big.bin')
    {
      await using setup = connectionTo(sshd)
      await setup.run(`head -c ${size} /dev/urandom > ${remote}`, { timeoutMs: 60_000 })
    }
    const probe = leakProbe()
    const c = connectionTo(sshd, { keepalive: SHORT_KEEPALIVE })
    const pids = await openAndListPids(c, sshd)
    let received = 0
    let midway!: () => void
    const reachedMidway = new Promise<void>((resolve) => (midway = resolve))
    const download = failure(c.get(remote, dest, {
      onProgress: (bytes) => {
        received = bytes
        if (bytes >= 32 << 20) midway()
      },
    }))
    try {
      await within(reachedMidway, 60_000, '32 MiB downloaded')
      const t0 = performance.now()
      await freezeProcesses(pids)
      const stoppedAt = received
      const err = await within(download, BOUND + 5_000, 'the get rejecting')
      const elapsed = since(t0)
      expectDeadPeerError(err)
      expect(elapsed).toBeLessThanOrEqual(BOUND)
      expect(stoppedAt).toBeLessThan(size)
      recordFigure({ case: 'dead peer during a 256 MiB get (sshd SIGSTOP)', measure: 'time to rejection', value: elapsed, unit: 'ms', bound: BOUND })
      recordFigure({ case: 'dead peer during a 256 MiB get (sshd SIGSTOP)', measure: 'downloaded before the stop', value: Math.round(stoppedAt / 2 ** 20), unit: 'MiB' })
      // Atomic download: nothing under the final name, and no temporary .part file left over.
      expect(existsSync(dest)).toBe(false)
      expect(await readdir(localDir)).toEqual([])
      await c.close()
    } finally {
      killStopped(pids)
    }
    expect(socketsTo(sshd.port)).toBe(0)
    expect((await probe.check()).problems).toEqual([])
  }, 120_000)

  it('close() against a stopped peer resolves within its 2 s grace period and frees the socket', async () => {
    const probe = leakProbe()
    const c = connectionTo(sshd, { keepalive: false })
    const pids = await openAndListPids(c, sshd)
    expect(socketsTo(sshd.port)).toBe(1)
    const graceMs = 2_000 // Transport's closeGraceMs default, which Connection uses
    try {
      await freezeProcesses(pids)
      const t0 = performance.now()
      await within(c.close(), graceMs + 5_000, 'close()')
      const elapsed = since(t0)
      expect(elapsed).toBeLessThanOrEqual(graceMs + 500)
      expect(socketsTo(sshd.port)).toBe(0)
      recordFigure({ case: 'close() against a stopped peer', measure: 'time for close() to resolve', value: elapsed, unit: 'ms', bound: graceMs + 500 })
    } finally {
      killStopped(pids)
    }
    const report = await probe.check()
    recordFigure({ case: 'close() against a stopped peer', measure: 'fds beyond baseline after close', value: report.fdGrowth, unit: 'fds', bound: 2 })
    expect(report.problems).toEqual([])
  })
})

describe('a partition in the site', () => {
  it('rejects run("sleep 60") on a 2-hop connection within (countMax+1)×interval + 1 s when the inner host is partitioned', async () => {
    const probe = leakProbe()
    const c = new Connection('inner', { config, proxyJump: 'bastion', keepalive: SHORT_KEEPALIVE })
    expect((await c.run('echo up')).stdout).toBe('up\n')
    let running!: () => void
    const started = new Promise<void>((resolve) => (running = resolve))
    const command = failure(c.run('echo started; sleep 60', { onStdout: () => running() }))
    try {
      await within(started, 10_000, 'the command starting')
      const t0 = performance.now()
      await site.partition(['inner'])
      const err = await within(command, BOUND + 5_000, 'run() rejecting')
      const elapsed = since(t0)
      expectDeadPeerError(err)
      expect(elapsed).toBeLessThanOrEqual(BOUND)
      expect(c.isConnected).toBe(false)
      recordFigure({ case: 'partition during run("sleep 60") (2 hops, tc drop in the site)', measure: 'time to rejection', value: elapsed, unit: 'ms', bound: BOUND })
    } finally {
      await site.heal()
      await c.close()
    }
    expect((await probe.check()).problems).toEqual([])
  })
})
