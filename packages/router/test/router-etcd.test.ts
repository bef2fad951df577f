// Two router processes sharing one real etcd, real ssh in front, three real sshd hosts behind:
// stickiness across instances, a SIGKILLed instance's entries gone within keyttl, the per-user
// limit across instances, and etcd stopped mid-run with mandatory false and true.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authorizedKeysText, generateKey, runCommand, sourceCli, startEtcd, STATE_DIR, testUser, waitFor } from '@x/testbed'
import type { CliProcess, EtcdHandle } from '@x/testbed'
import { Etcd3 } from 'etcd3'
import { ConfiguredRouter, EtcdStore, type RouterLogEvent } from '../src/index.js'
import { startPool, type Pool } from './support/router-site.js'

const cli = sourceCli(fileURLToPath(new URL('../src/cli/main.ts', import.meta.url)), 'x-ssh-router')
const SSH = '/usr/bin/ssh'
const PREFIX = '/x-ssh-router/'

describe('routers sharing one etcd', () => {
  let pool: Pool
  let etcd: EtcdHandle
  let dir: string
  let hostLine: string
  let watcher: EtcdStore
  const routers: CliProcess[] = []

  const configText = (extra: string[] = [], etcdExtra: string[] = []) => [
    'listen: [127.0.0.1:0]',
    `host_keys: [${join(dir, 'host_ed25519')}]`,
    `front_auth: { authorized_keys: ${join(dir, 'keys')}/%u }`,
    `upstream: { known_hosts: ${pool.knownHostsFile}, identity: ${pool.keys.ecdsa.privatePath} }`,
    `dest: [${pool.hosts.map((h) => `"${h.text}"`).join(', ')}]`,
    'route_select: round-robin',
    'etcd:',
    `  endpoints: ["${etcd.endpoint}"]`,
    '  keyttl: 2s',
    ...etcdExtra.map((l) => `  ${l}`),
    ...extra,
    '',
  ].join('\n')

  beforeAll(async () => {
    ;[pool, etcd] = await Promise.all([startPool(3), startEtcd()])
    await testUser()
    // authorized_keys are read with StrictModes: no world-writable directory above them.
    dir = await mkdtemp(join(STATE_DIR, 'router-etcd-'))
    hostLine = (await generateKey('ed25519', join(dir, 'host_ed25519'))).publicLine.split(' ').slice(0, 2).join(' ')
    await mkdir(join(dir, 'keys'), { mode: 0o755 })
    await writeFile(join(dir, 'keys', pool.user), authorizedKeysText(pool.keys), { mode: 0o644 })
    watcher = await EtcdStore.open({ endpoints: [etcd.endpoint], keyTtlMs: 5_000, mandatory: false }, { prefix: PREFIX })
  }, 60_000)
  afterAll(async () => {
    for (const r of routers) await r[Symbol.asyncDispose]()
    await watcher?.close()
    await Promise.all([pool?.close(), etcd?.close()])
    await rm(dir, { recursive: true, force: true })
  })

  /** Starts an x-ssh-router serve on `config`; returns it with its port. */
  const serve = async (name: string, config: string): Promise<{ proc: CliProcess; port: number }> => {
    const file = join(dir, `${name}.yaml`)
    await writeFile(file, config)
    const proc = cli.spawn(['serve', '--config', file, '--log', 'json'])
    routers.push(proc)
    const port = await proc.listening()
    await writeFile(join(dir, `known_${port}`), `[127.0.0.1]:${port} ${hostLine}\n`)
    return { proc, port }
  }
  const sshArgs = (port: number) => ['-F', '/dev/null', '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${join(dir, `known_${port}`)}`, '-o', 'IdentitiesOnly=yes', '-o', 'LogLevel=ERROR', '-i', pool.keys.ed25519.privatePath, '-p', String(port), `${pool.user}@127.0.0.1`]
  const landOn = async (port: number): Promise<string> => {
    const r = await runCommand(SSH, [...sshArgs(port), 'echo "$X_HOST"'], { allowFailure: true, timeoutMs: 30_000 })
    if (r.code !== 0) throw new Error(`ssh exited ${r.code}: ${r.stderr}`)
    return r.stdout.trim()
  }
  const hold = async (port: number): Promise<{ host: string; child: ChildProcess }> => {
    const child = spawn(SSH, [...sshArgs(port), 'echo "$X_HOST"; exec sleep 120'], { stdio: ['ignore', 'pipe', 'ignore'] })
    let out = ''
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
    await waitFor(() => out.includes('\n') || child.exitCode !== null, { timeoutMs: 20_000 })
    return { host: out.trim(), child }
  }
  const kill = async (child: ChildProcess) => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const gone = new Promise((r) => child.once('exit', r))
    child.kill('SIGKILL')
    await gone
  }

  it('keeps a user on its host across instances, frees them after the TTL, and drops a SIGKILLed instance\'s entries within keyttl + 1 s', async () => {
    const a = await serve('a', configText(['etcd_keyttl: 2s']))
    const b = await serve('b', configText(['etcd_keyttl: 2s']))
    const live = await hold(a.port)
    expect(live.host).toMatch(/^h[123]$/)
    // Through the other instance, the user lands where their live session is.
    for (let i = 0; i < 4; i++) expect(await landOn(b.port)).toBe(live.host)
    await kill(live.child)
    await waitFor(async () => (await watcher.connections({ user: pool.user })).length === 0, { timeoutMs: 10_000, description: 'the connection gone from etcd' })
    // Sticky history: still there within the TTL, through either instance…
    expect(await landOn(a.port)).toBe(live.host)
    // …and gone after it: the instance then routes by route_select, not stickiness.
    await new Promise((r) => setTimeout(r, 3_500))
    expect(await watcher.stickyHost(pool.user, 'default')).toBeUndefined()
    await landOn(b.port)
    const routes = b.proc.stderr().split('\n').filter((l) => l.includes('"event":"route"')).map((l) => JSON.parse(l) as { sticky: boolean })
    expect(routes.slice(0, 4).every((e) => e.sticky)).toBe(true)
    expect(routes.at(-1)!.sticky).toBe(false)

    // An instance that dies without a word: its live entries vanish with its lease.
    const held = await hold(a.port)
    expect((await watcher.connections({ user: pool.user })).length).toBe(1)
    a.proc.child.kill('SIGKILL')
    await a.proc.exited
    const t0 = Date.now()
    await waitFor(async () => (await watcher.connections({ user: pool.user })).length === 0, { timeoutMs: 10_000, description: 'the dead instance\'s entries gone' })
    expect(Date.now() - t0).toBeLessThan(2_000 + 1_000 + 1_000)
    await kill(held.child)
    b.proc.child.kill('SIGTERM')
    expect(await b.proc.exited).toEqual({ code: 0, signal: null })
  }, 90_000)

  it('admits exactly 2 of 20 simultaneous attempts through two instances with max_connections_per_user: 2', async () => {
    const a = await serve('la', configText(['max_connections_per_user: 2', 'mode: balanced']))
    const b = await serve('lb', configText(['max_connections_per_user: 2', 'mode: balanced']))
    const tries = await Promise.all(Array.from({ length: 20 }, (_, i) => hold(i % 2 ? a.port : b.port)))
    try {
      expect(tries.filter((t) => /^h[123]$/.test(t.host)).length).toBe(2)
      expect((await watcher.connections({ user: pool.user })).length).toBe(2)
    } finally {
      await Promise.all(tries.map((t) => kill(t.child)))
      for (const r of [a, b]) {
        r.proc.child.kill('SIGTERM')
        await r.proc.exited
      }
    }
    await waitFor(async () => (await watcher.connections({ user: pool.user })).length === 0, { timeoutMs: 10_000 })
  }, 60_000)

  it('goes on from memory with a warning when etcd stops and mandatory is false; refuses with the banner when it is true', async () => {
    const log: RouterLogEvent[] = []
    const file = (name: string) => join(dir, `${name}.yaml`)
    await writeFile(file('soft'), configText(['mode: balanced'], ['mandatory: false']))
    await writeFile(file('hard'), configText(['mode: balanced', 'error_banner: "routing is down, try later"'], ['mandatory: true']))
    await using soft = await ConfiguredRouter.start(file('soft'), { log: (e) => log.push(e) })
    await using hard = await ConfiguredRouter.start(file('hard'))
    for (const r of [soft, hard]) await writeFile(join(dir, `known_${r.listeners[0]!.bound.port}`), `[127.0.0.1]:${r.listeners[0]!.bound.port} ${hostLine}\n`)
    const softPort = soft.listeners[0]!.bound.port
    const hardPort = hard.listeners[0]!.bound.port
    expect(await landOn(softPort)).toMatch(/^h[123]$/)
    expect(await landOn(hardPort)).toMatch(/^h[123]$/)
    await etcd.stop()
    try {
      expect(await landOn(softPort)).toMatch(/^h[123]$/)
      expect(log).toContainEqual(expect.objectContaining({ event: 'store', message: expect.stringContaining('memory') }))
      const refused = await runCommand(SSH, [...sshArgs(hardPort), 'echo hi'], { allowFailure: true, timeoutMs: 30_000 })
      expect(refused.stdout).toBe('')
      expect(refused.stderr).toContain('routing is down, try later')
    } finally {
      await etcd.restart()
    }
    // Back: routed through etcd again (the connection shows there while it lives).
    await waitFor(async () => {
      const h = await hold(softPort)
      const seen = (await watcher.connections({ user: pool.user })).length === 1
      await kill(h.child)
      return seen
    }, { timeoutMs: 20_000, intervalMs: 500, description: 'routing through etcd again' })
  }, 90_000)

  it('leaves no lease in etcd once every router stopped', async () => {
    for (const r of routers) await r[Symbol.asyncDispose]()
    await watcher.close()
    const raw = new Etcd3({ hosts: etcd.endpoint })
    try {
      // Sticky history leases run out on their own (2 s here); instance leases went with their routers.
      await waitFor(async () => ((await raw.leaseClient.leaseLeases()).leases ?? []).length === 0, { timeoutMs: 10_000, description: 'no lease left' })
    } finally {
      raw.close()
    }
    watcher = await EtcdStore.open({ endpoints: [etcd.endpoint], keyTtlMs: 5_000, mandatory: false }, { prefix: PREFIX })
  })
})
