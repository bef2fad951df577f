/**
 * Gateway faults through the isolated site (DESIGN.md §3 "Gateways", "ProxyCommand", "Liveness"):
 * a hop killed or frozen mid-use, a hop that refuses forwarding, ProxyCommands that fail, spew,
 * hang or ignore SIGTERM. The 200-cycle ProxyJump and ProxyCommand runs are in
 * faults/hygiene-gateways.test.ts.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { childPids, freezeProcesses, socketsTo, startSite, waitFor, type SiteHandle } from '@x/testbed'
import {
  ChannelOpenError,
  ConnectionLostError,
  Connection,
  HandshakeError,
  ProxyCommandError,
  SSHError,
  TimeoutError,
} from '@x/connection'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { siteConfig } from './site-helpers.js'

let site: SiteHandle
let config: { text: string }
let dir: string
beforeAll(async () => {
  site = await startSite()
  config = { text: siteConfig(site) }
  dir = await mkdtemp(join(tmpdir(), 'xssh-faults-'))
}, 60_000)
afterAll(async () => {
  await site?.close()
  await rm(dir, { recursive: true, force: true })
})

/** What a promise settled with: its rejection, or undefined when it resolved. */
function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => undefined, (err: unknown) => err)
}

/** Waits for `promise`, failing the test after `ms` (the timer never outlives the wait). */
async function within(promise: Promise<void>, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)))])
  } finally {
    clearTimeout(timer)
  }
}

/** Sends `signal` to each of `pids`, ignoring those already gone. */
function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal)
    } catch {
      // ESRCH: gone already
    }
  }
}

/** Every live or zombie process whose process group is `pgid`. */
function groupMembers(pgid: number): number[] {
  const out: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === pgid) out.push(Number(name))
    } catch {
      // gone meanwhile
    }
  }
  return out
}


/** A ProxyCommand that records its PID (= its process group) in `file`, then runs `rest`. */
function recordingPid(file: string, rest: string): string {
  return `sh -c 'echo $$ > ${file}; ${rest}'`
}

async function pidFrom(file: string): Promise<number> {
  return Number((await waitFor(() => readFile(file, 'utf8').then((s) => s.trim() || undefined), { timeoutMs: 2_000 })))
}

describe('a jump hop that dies or freezes', () => {
  it('rejects a transfer with ConnectionLostError within 1 s when the bastion\'s connection process is SIGKILLed, and reconnects after', async () => {
    await using c = new Connection('inner', { config, proxyJump: 'bastion' })
    await c.open()
    const pids = await site.bastion.connectionPids()
    expect(pids.length).toBeGreaterThan(0)
    let bytes = 0
    let flowing!: () => void
    const started = new Promise<void>((resolve) => (flowing = resolve))
    const transfer = failure(c.run('cat /dev/zero | head -c 500M', {
      onStdout: (chunk) => {
        bytes += chunk.length
        if (bytes >= 4 << 20) flowing()
      },
    }))
    await within(started, 10_000, 'data flowing')
    const t0 = performance.now()
    signalAll(pids, 'SIGKILL')
    const err = await transfer
    const elapsed = performance.now() - t0
    expect(err).toBeInstanceOf(ConnectionLostError)
    expect(elapsed).toBeLessThan(1_000)
    expect(bytes).toBeLessThan(500 << 20)
    expect(c.isConnected).toBe(false)
    // Only that connection died: the same Connection dials the whole chain again.
    expect((await c.run('echo again')).stdout).toBe('again\n')
  })

  it('closes the whole chain within (countMax+1)×interval + 1 s when the bastion is SIGSTOPped (hops inherit keepalive), rejecting pending calls', async () => {
    const keepalive = { intervalMs: 500, countMax: 2 }
    const bound = (keepalive.countMax + 1) * keepalive.intervalMs + 1_000
    await using c = new Connection('inner', { config, proxyJump: 'bastion', keepalive })
    expect((await c.run('echo up')).stdout).toBe('up\n')
    // The one TCP connection of the chain: the hop's, to the bastion's relay.
    expect(socketsTo(site.bastion.port)).toBe(1)
    let running!: () => void
    const started = new Promise<void>((resolve) => (running = resolve))
    const pending = [
      failure(c.run('echo started; sleep 30', { onStdout: () => running() })),
      failure(c.run('sleep 31')),
    ]
    await within(started, 5_000, 'the command starting')
    const pids = await site.bastion.connectionPids()
    expect(pids.length).toBeGreaterThan(0)
    const t0 = performance.now()
    await freezeProcesses(pids)
    try {
      const errors = await Promise.all(pending)
      const rejectedAfter = performance.now() - t0
      for (const err of errors) {
        expect(err).toBeInstanceOf(SSHError)
        expect(['ERR_SSH_CONNECTION_LOST', 'ERR_SSH_TIMEOUT']).toContain((err as SSHError).code)
        if (err instanceof TimeoutError) expect(err.phase).toBe('keepalive')
      }
      expect(rejectedAfter).toBeLessThan(bound)
      expect(c.isConnected).toBe(false)
      // The hop closed itself too: with the 15 s default its socket would stay for 45 s, and
      // nothing else closes an owned hop when the target is lost.
      await waitFor(() => socketsTo(site.bastion.port) === 0, { timeoutMs: Math.max(0, bound - (performance.now() - t0)), intervalMs: 10 })
      expect(performance.now() - t0).toBeLessThan(bound)
    } finally {
      signalAll(pids, 'SIGKILL')
      signalAll(pids, 'SIGCONT')
    }
  })

  it('fails with ChannelOpenError (1, administratively prohibited) through a bastion that forbids forwarding, which stays usable', async () => {
    await using strict = await startSite({ bastion: { allowTcpForwarding: false } })
    const strictConfig = { text: siteConfig(strict) }
    await using bastion = new Connection('bastion', { config: strictConfig })
    await bastion.open()
    {
      await using inner = new Connection('inner', { config: strictConfig, gateway: bastion })
      const err = await failure(inner.open())
      expect(err).toBeInstanceOf(ChannelOpenError)
      expect((err as ChannelOpenError).reason).toBe(1)
      expect(inner.isConnected).toBe(false)
    }
    expect(bastion.isConnected).toBe(true)
    expect((await bastion.run('echo ok')).stdout).toBe('ok\n')
    await using viaJump = new Connection('inner', { config: strictConfig, proxyJump: 'bastion' })
    const err = await failure(viaJump.open())
    expect(err).toBeInstanceOf(ChannelOpenError)
    expect((err as ChannelOpenError).reason).toBe(1)
  })
})

describe('ProxyCommand faults', () => {
  it('fails with ProxyCommandError (exit code, stderr tail) within 1 s when the command exits at once', async () => {
    await using c = new Connection('bastion', { config, gateway: "sh -c 'echo bad proxy >&2; exit 3'" })
    const t0 = performance.now()
    const err = await failure(c.open())
    const elapsed = performance.now() - t0
    expect(err).toBeInstanceOf(ProxyCommandError)
    const proxyErr = err as ProxyCommandError
    expect(proxyErr.code).toBe('ERR_SSH_PROXY_COMMAND')
    expect(proxyErr.exitCode).toBe(3)
    expect(proxyErr.signal).toBeNull()
    expect(proxyErr.stderrTail).toContain('bad proxy')
    expect(elapsed).toBeLessThan(1_000)
  })

  it('fails with HandshakeError within 2 s when the command prints garbage forever, and kills it', async () => {
    const pidFile = join(dir, 'garbage.pid')
    const children = childPids()
    await using c = new Connection('bastion', { config, gateway: recordingPid(pidFile, 'exec yes garbage') })
    const t0 = performance.now()
    const err = await failure(c.open())
    const elapsed = performance.now() - t0
    expect(err).toBeInstanceOf(HandshakeError)
    expect(elapsed).toBeLessThan(2_000)
    const pid = await pidFrom(pidFile)
    // Killed and reaped without waiting for close().
    await waitFor(() => groupMembers(pid).length === 0, { timeoutMs: 2_000, intervalMs: 10 })
    expect(childPids()).toEqual(children)
  })

  it("fails with TimeoutError{phase:'handshake'} after connectTimeoutMs when the command never answers, leaving no process of its group", async () => {
    const pidFile = join(dir, 'silent.pid')
    const children = childPids()
    const connectTimeoutMs = 500
    const c = new Connection('bastion', { config, gateway: recordingPid(pidFile, 'sleep 3600 | cat'), connectTimeoutMs })
    try {
      const t0 = performance.now()
      const err = await failure(c.open())
      const elapsed = performance.now() - t0
      expect(err).toBeInstanceOf(TimeoutError)
      expect((err as TimeoutError).phase).toBe('handshake')
      expect(elapsed).toBeGreaterThanOrEqual(connectTimeoutMs - 50)
      expect(elapsed).toBeLessThan(connectTimeoutMs + 1_500)
    } finally {
      await c.close()
    }
    // The shell and both sides of its pipeline are gone, reaped, once close() resolved.
    expect(groupMembers(await pidFrom(pidFile))).toEqual([])
    expect(childPids()).toEqual(children)
  })

  it('kills a command that ignores SIGTERM with SIGKILL after the grace period on close', async () => {
    const pidFile = join(dir, 'stubborn.pid')
    const children = childPids()
    const c = new Connection('bastion', {
      config,
      // socat carries the session; once it ends, the shell becomes a sleep that ignores SIGTERM
      // (an ignored signal stays ignored across exec) and holds none of the pipes.
      gateway: recordingPid(pidFile, `trap "" TERM; socat - TCP:127.0.0.1:${site.bastion.port}; exec sleep 3600 </dev/null >/dev/null 2>&1`),
    })
    let closing: Promise<void> | undefined
    try {
      expect((await c.run('echo through-stubborn')).stdout).toBe('through-stubborn\n')
    } finally {
      closing = c.close()
    }
    const t0 = performance.now()
    const pid = await pidFrom(pidFile)
    await sleep(1_000)
    // SIGTERM went out at once and was ignored: the group is still there, mid-grace.
    expect(groupMembers(pid)).not.toEqual([])
    await closing
    const elapsed = performance.now() - t0
    expect(groupMembers(pid)).toEqual([])
    expect(childPids()).toEqual(children)
    // SIGTERM was ignored, SIGKILL came after the 2 s grace period (the disconnect and the end of
    // the command's output took a moment before it).
    expect(elapsed).toBeGreaterThanOrEqual(2_000)
    expect(elapsed).toBeLessThan(4_000)
  })
})
