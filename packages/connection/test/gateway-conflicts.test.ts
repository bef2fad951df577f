/**
 * DESIGN.md §3 "Both gateway kinds for one host is an error": every conflict raises
 * GatewayConflictError naming the host and both sources, at construction, before any process
 * starts or socket opens; explicit options of the same kind beat ssh_config; inside ssh_config
 * alone `ssh -G -F file host` is the oracle; names from the API never reach a ProxyCommand's shell.
 *
 * Every ProxyCommand here is `touch <dir>/<marker>`: the marker's presence tells exactly which
 * command ran (or, absent, that none did).
 */
import { spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { childPids, closedPort, openFdCount } from '@x/testbed'
import {
  ConfigError,
  ConnectError,
  Connection,
  GatewayConflictError,
  ProxyCommandError,
  type ConnectionOptions,
} from '@x/connection'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

let dir: string
let port: number
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xssh-conflicts-'))
  port = await closedPort()
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** A fresh, empty directory for one test's markers. */
async function markerDir(name: string): Promise<string> {
  const d = join(dir, name)
  await mkdir(d)
  return d
}

/** ssh_config text: `lines` first (so they win), then every host at a closed port on 127.0.0.1. */
function config(lines: readonly string[]): { text: string } {
  return { text: [...lines, 'Host *', '  HostName 127.0.0.1', `  Port ${port}`, ''].join('\n') }
}

/**
 * Constructs a Connection expecting it to throw, and proves the attempt spawned no process and
 * opened no fd (the constructor is synchronous: nothing else runs meanwhile). Returns the error.
 */
function constructionError(host: string, options: ConnectionOptions): unknown {
  const children = childPids()
  const fds = openFdCount()
  let error: unknown
  try {
    new Connection(host, options)
  } catch (err) {
    error = err
  }
  expect(openFdCount(), 'fds opened by the constructor').toBe(fds)
  expect(childPids(), 'processes spawned by the constructor').toEqual(children)
  return error
}

/** Waits a little (a process started in the background would have run by then) and checks nothing did. */
async function expectNothingRan(d: string, children: readonly number[]): Promise<void> {
  await sleep(150)
  expect(await readdir(d)).toEqual([])
  expect(childPids()).toEqual(children)
}

describe('GatewayConflictError: both kinds of gateway for one host', () => {
  it('raises GatewayConflictError for proxyJump with a ProxyCommand gateway string, before anything runs', async () => {
    const d = await markerDir('jump-and-command')
    const children = childPids()
    const err = constructionError('inner', {
      config: config(['Host bastion', `  ProxyCommand touch ${d}/bastion-hop`]),
      proxyJump: 'bastion',
      gateway: `touch ${d}/ran`,
    })
    expect(err).toBeInstanceOf(GatewayConflictError)
    const conflict = err as GatewayConflictError
    expect(conflict.code).toBe('ERR_SSH_GATEWAY_CONFLICT')
    expect(conflict.host).toBe('inner')
    expect([...conflict.sources].sort()).toEqual(['option gateway (ProxyCommand)', 'option proxyJump'])
    await expectNothingRan(d, children)
  })

  it('raises GatewayConflictError when a Connection gateway meets ssh_config ProxyCommand', async () => {
    const d = await markerDir('connection-and-config-command')
    const cfg = config(['Host inner', `  ProxyCommand touch ${d}/ran`, 'Host bastion', `  ProxyCommand touch ${d}/bastion-ran`])
    const bastion = new Connection('bastion', { config: cfg })
    const children = childPids()
    const err = constructionError('inner', { config: cfg, gateway: bastion })
    expect(err).toBeInstanceOf(GatewayConflictError)
    const conflict = err as GatewayConflictError
    expect(conflict.code).toBe('ERR_SSH_GATEWAY_CONFLICT')
    expect(conflict.host).toBe('inner')
    expect([...conflict.sources].sort()).toEqual(['option gateway (Connection)', 'ssh_config ProxyCommand'])
    await expectNothingRan(d, children)
    expect(bastion.isConnected).toBe(false)
    await bastion.close()
  })

  it('raises GatewayConflictError when proxyJump meets ssh_config ProxyCommand (from a wildcard block too)', async () => {
    const d = await markerDir('jump-and-config-command')
    const children = childPids()
    for (const lines of [
      ['Host inner', `  ProxyCommand touch ${d}/ran`],
      ['Host bastion', `  ProxyCommand touch ${d}/bastion-ran`, 'Host in*', `  ProxyCommand touch ${d}/ran`],
    ]) {
      const err = constructionError('inner', { config: config(lines), proxyJump: 'bastion' })
      expect(err).toBeInstanceOf(GatewayConflictError)
      const conflict = err as GatewayConflictError
      expect(conflict.code).toBe('ERR_SSH_GATEWAY_CONFLICT')
      expect(conflict.host).toBe('inner')
      expect([...conflict.sources].sort()).toEqual(['option proxyJump', 'ssh_config ProxyCommand'])
    }
    await expectNothingRan(d, children)
  })

  it('raises GatewayConflictError when a ProxyCommand gateway string meets ssh_config ProxyJump', async () => {
    const d = await markerDir('command-and-config-jump')
    const children = childPids()
    const err = constructionError('inner', {
      config: config(['Host inner', '  ProxyJump bastion', 'Host bastion', `  ProxyCommand touch ${d}/bastion-ran`]),
      gateway: `touch ${d}/ran`,
    })
    expect(err).toBeInstanceOf(GatewayConflictError)
    const conflict = err as GatewayConflictError
    expect(conflict.code).toBe('ERR_SSH_GATEWAY_CONFLICT')
    expect(conflict.host).toBe('inner')
    expect([...conflict.sources].sort()).toEqual(['option gateway (ProxyCommand)', 'ssh_config ProxyJump'])
    await expectNothingRan(d, children)
  })

  it('sees no conflict where ssh_config says ProxyCommand none / ProxyJump none', async () => {
    const d = await markerDir('none-is-no-conflict')
    const cfg = config([
      'Host inner', '  ProxyCommand none', '  ProxyJump none',
      'Host bastion', `  ProxyCommand touch ${d}/bastion`,
      'Host *', `  ProxyCommand touch ${d}/config-command`,
    ])
    await using viaJump = new Connection('inner', { config: cfg, proxyJump: 'bastion' })
    await expect(viaJump.open()).rejects.toBeInstanceOf(ProxyCommandError)
    expect(await readdir(d)).toEqual(['bastion'])
    await using viaCommand = new Connection('inner', { config: cfg, gateway: `touch ${d}/explicit` })
    await expect(viaCommand.open()).rejects.toBeInstanceOf(ProxyCommandError)
    expect((await readdir(d)).sort()).toEqual(['bastion', 'explicit'])
  })
})

describe('explicit options beat ssh_config of the same kind', () => {
  it('goes through an explicit proxyJump, not the ssh_config ProxyJump', async () => {
    const d = await markerDir('explicit-jump')
    const cfg = config([
      'Host inner', '  ProxyJump from-config',
      'Host from-config', `  ProxyCommand touch ${d}/%n`,
      'Host from-option', `  ProxyCommand touch ${d}/%n`,
    ])
    await using c = new Connection('inner', { config: cfg, proxyJump: 'from-option' })
    expect(c.sshConfig['proxyjump']).toBe('from-config')
    await expect(c.open()).rejects.toBeInstanceOf(ProxyCommandError)
    expect(await readdir(d)).toEqual(['from-option'])
  })

  it('goes through an explicit gateway Connection, not the ssh_config ProxyJump (and leaves it open to reuse)', async () => {
    const d = await markerDir('explicit-connection')
    const cfg = config([
      'Host inner', '  ProxyJump from-config',
      'Host from-config', `  ProxyCommand touch ${d}/%n`,
      'Host from-option', `  ProxyCommand touch ${d}/%n`,
    ])
    await using gateway = new Connection('from-option', { config: cfg })
    await using c = new Connection('inner', { config: cfg, gateway })
    await expect(c.open()).rejects.toBeInstanceOf(ProxyCommandError)
    expect(await readdir(d)).toEqual(['from-option'])
  })

  it('runs an explicit ProxyCommand, not the ssh_config ProxyCommand', async () => {
    const d = await markerDir('explicit-command')
    await using c = new Connection('inner', {
      config: config(['Host inner', `  ProxyCommand touch ${d}/from-config`]),
      gateway: `touch ${d}/from-option`,
    })
    expect(c.sshConfig['proxycommand']).toBe(`touch ${d}/from-config`)
    await expect(c.open()).rejects.toBeInstanceOf(ProxyCommandError)
    expect(await readdir(d)).toEqual(['from-option'])
  })
})

/** One ssh_config-only case: `lines(d)` is the config (d: the case's marker dir); `outcome` what must run. */
interface OracleCase {
  readonly name: string
  readonly host: string
  readonly lines: (cmd: (marker: string) => string) => readonly string[]
  /** 'cmd-x': ProxyCommand `touch <d>/cmd-x` ran; 'jmp-x': the hop jmp-x was dialled; 'direct'. */
  readonly outcome: string
}

const ORACLE_CASES: readonly OracleCase[] = [
  { name: 'ProxyJump then ProxyCommand in one block: the jump', host: 't', outcome: 'jmp-a',
    lines: (cmd) => ['Host t', '  ProxyJump jmp-a', `  ProxyCommand ${cmd('cmd-b')}`] },
  { name: 'ProxyCommand then ProxyJump in one block: the command', host: 't', outcome: 'cmd-a',
    lines: (cmd) => ['Host t', `  ProxyCommand ${cmd('cmd-a')}`, '  ProxyJump jmp-b'] },
  { name: 'ProxyJump in Host t, ProxyCommand in Host *: the jump', host: 't', outcome: 'jmp-a',
    lines: (cmd) => ['Host t', '  ProxyJump jmp-a', 'Host *', `  ProxyCommand ${cmd('cmd-b')}`] },
  { name: 'ProxyCommand in Host t, ProxyJump in Host *: the command', host: 't', outcome: 'cmd-a',
    lines: (cmd) => ['Host t', `  ProxyCommand ${cmd('cmd-a')}`, 'Host *', '  ProxyJump jmp-b'] },
  { name: 'ProxyCommand none, then ProxyJump in Host *: direct', host: 't', outcome: 'direct',
    lines: () => ['Host t', '  ProxyCommand none', 'Host *', '  ProxyJump jmp-b'] },
  { name: 'ProxyCommand none, then ProxyCommand in Host *: direct', host: 't', outcome: 'direct',
    lines: (cmd) => ['Host t', '  ProxyCommand none', 'Host *', `  ProxyCommand ${cmd('cmd-b')}`] },
  { name: 'ProxyJump none, then ProxyJump in Host *: direct', host: 't', outcome: 'direct',
    lines: () => ['Host t', '  ProxyJump none', 'Host *', '  ProxyJump jmp-b'] },
  { name: 'ProxyJump none does not stop a later ProxyCommand (OpenSSH 9.2)', host: 't', outcome: 'cmd-b',
    lines: (cmd) => ['Host t', '  ProxyJump none', 'Host *', `  ProxyCommand ${cmd('cmd-b')}`] },
  { name: 'ProxyCommand none then ProxyJump in one block: direct', host: 't', outcome: 'direct',
    lines: () => ['Host t', '  ProxyCommand none', '  ProxyJump jmp-a'] },
  { name: 'Host * alone gives the jump', host: 't', outcome: 'jmp-a',
    lines: () => ['Host *', '  ProxyJump jmp-a'] },
  { name: 'Host in* beats a later Host * for inner', host: 'inner', outcome: 'cmd-a',
    lines: (cmd) => ['Host in*', `  ProxyCommand ${cmd('cmd-a')}`, 'Host *', '  ProxyJump jmp-b'] },
  { name: 'Host in* does not match t: Host * applies', host: 't', outcome: 'jmp-b',
    lines: (cmd) => ['Host in*', `  ProxyCommand ${cmd('cmd-a')}`, 'Host *', '  ProxyJump jmp-b'] },
  { name: 'Host * !inner skips inner', host: 'inner', outcome: 'cmd-b',
    lines: (cmd) => ['Host * !inner', '  ProxyJump jmp-a', 'Host in*', `  ProxyCommand ${cmd('cmd-b')}`] },
  { name: 'Host * !inner applies to inside', host: 'inside', outcome: 'jmp-a',
    lines: (cmd) => ['Host * !inner', '  ProxyJump jmp-a', 'Host in*', `  ProxyCommand ${cmd('cmd-b')}`] },
  { name: 'Match host sees the HostName set before it', host: 't', outcome: 'cmd-a',
    lines: (cmd) => ['Host t', '  HostName 127.0.0.1', 'Match host 127.0.0.1', `  ProxyCommand ${cmd('cmd-a')}`, 'Host *', '  ProxyJump jmp-b'] },
  { name: 'Match originalhost t user bob, for bob', host: 'bob@t', outcome: 'jmp-a',
    lines: (cmd) => ['Match originalhost t user bob', '  ProxyJump jmp-a', 'Host *', `  ProxyCommand ${cmd('cmd-b')}`] },
  { name: 'Match originalhost t user bob, for alice', host: 'alice@t', outcome: 'cmd-b',
    lines: (cmd) => ['Match originalhost t user bob', '  ProxyJump jmp-a', 'Host *', `  ProxyCommand ${cmd('cmd-b')}`] },
  { name: 'Match all after Host t: Host t first', host: 't', outcome: 'jmp-b',
    lines: (cmd) => ['Host t', '  ProxyJump jmp-b', 'Match all', `  ProxyCommand ${cmd('cmd-a')}`] },
  { name: 'Match final comes after every other block', host: 't', outcome: 'cmd-b',
    lines: (cmd) => ['Match final', '  ProxyJump jmp-a', 'Host t', `  ProxyCommand ${cmd('cmd-b')}`] },
]

/** The proxyjump/proxycommand lines `ssh -G -F file host` prints. */
function sshG(file: string, host: string): { proxyjump?: string; proxycommand?: string } {
  const r = spawnSync('ssh', ['-G', '-F', file, host], { encoding: 'utf8', timeout: 10_000 })
  if (r.status !== 0) throw new Error(`ssh -G failed: ${r.stderr}`)
  const out: { proxyjump?: string; proxycommand?: string } = {}
  for (const line of r.stdout.split('\n')) {
    const sp = line.indexOf(' ')
    const key = line.slice(0, sp)
    if (key === 'proxyjump' || key === 'proxycommand') out[key] = line.slice(sp + 1)
  }
  return out
}

describe('ssh_config alone: the plan agrees with ssh -G (OpenSSH 9.2)', () => {
  it('has at least 10 cases', () => {
    expect(ORACLE_CASES.length).toBeGreaterThanOrEqual(10)
  })

  ORACLE_CASES.forEach((c, i) => {
    it(`plans what ssh -G resolves: ${c.name}`, async () => {
      const d = await markerDir(`oracle-${i}`)
      const cmd = (marker: string): string => `touch ${d}/${marker}`
      // Each hop named jmp-* runs a ProxyCommand leaving a marker with its name: this block comes
      // first, so it wins for the hops whatever the case says.
      const file = join(d, '..', `oracle-${i}.ssh_config`)
      await writeFile(file, config(['Host jmp-*', `  ProxyCommand touch ${d}/%n`, ...c.lines(cmd)]).text)
      const oracle = sshG(file, c.host)
      // The case's expectation is OpenSSH's.
      const expected = c.outcome === 'direct' ? {} : c.outcome.startsWith('jmp-') ? { proxyjump: c.outcome } : { proxycommand: cmd(c.outcome) }
      expect(oracle).toEqual(expected)

      await using conn = new Connection(c.host, { config: file, connectTimeoutMs: 2_000 })
      const ours: { proxyjump?: string; proxycommand?: string } = {}
      for (const key of ['proxyjump', 'proxycommand'] as const) {
        const value = conn.sshConfig[key]
        if (value !== undefined && value !== 'none') ours[key] = String(value)
      }
      expect(ours).toEqual(oracle)

      // And the Connection does what the plan says: runs that command, dials that hop, or dials TCP.
      const failure = await conn.open().then(() => undefined, (err: unknown) => err)
      expect(failure).toBeInstanceOf(c.outcome === 'direct' ? ConnectError : ProxyCommandError)
      expect(await readdir(d)).toEqual(c.outcome === 'direct' ? [] : [c.outcome])
    })
  })
})

describe('names from the API never reach a ProxyCommand shell', () => {
  /** Each case: host and options; a shell that ran would leave a file in `d`. */
  const cases: ReadonlyArray<{ name: string; host: (d: string) => string; options: (d: string) => ConnectionOptions }> = [
    { name: 'a host with ; and a command (gateway string)', host: (d) => `a;touch ${d}/injected`, options: (d) => ({ gateway: `touch ${d}/ran-%h` }) },
    { name: 'a host starting with - (gateway string)', host: () => '-oProxyCommand=x', options: (d) => ({ gateway: `touch ${d}/ran-%h` }) },
    { name: 'a host with $( ) (ssh_config ProxyCommand)', host: (d) => `a$(touch${'${IFS}'}${d}/injected)`, options: (d) => ({ config: config([`Host *`, `  ProxyCommand touch ${d}/ran-%h`]) }) },
    { name: 'a host with a backquote (%n)', host: () => 'a`id`', options: (d) => ({ gateway: `touch ${d}/ran-%n` }) },
    { name: 'a user with ; (option user, %r)', host: () => 'inner', options: (d) => ({ user: `u;touch${'${IFS}'}${d}/injected`, gateway: `touch ${d}/ran-%r` }) },
    { name: 'a user with | in user@host (%r)', host: (d) => `u|touch${'${IFS}'}${d}/injected@inner`, options: (d) => ({ gateway: `touch ${d}/ran-%r` }) },
    { name: 'a host with a newline', host: () => 'a\nid', options: (d) => ({ gateway: `touch ${d}/ran-%h` }) },
  ]
  cases.forEach((c, i) => {
    it(`raises ConfigError before any shell runs: ${c.name}`, async () => {
      const d = await markerDir(`names-${i}`)
      const children = childPids()
      const err = constructionError(c.host(d), { config: config([]), ...c.options(d) })
      expect(err).toBeInstanceOf(ConfigError)
      expect((err as ConfigError).code).toBe('ERR_SSH_CONFIG')
      await expectNothingRan(d, children)
    })
  })

  it('raises ConfigError for a proxyJump hop name from the API that its ssh_config ProxyCommand would expand', async () => {
    const d = await markerDir('names-hop')
    const children = childPids()
    const err = constructionError('inner', {
      config: config(['Host b*', `  ProxyCommand touch ${d}/ran-%n`]),
      // Harmless if it ever ran: `touch <d>/ran-b; true` would still leave its marker.
      proxyJump: 'b;true',
    })
    expect(err).toBeInstanceOf(ConfigError)
    await expectNothingRan(d, children)
  })

  it('lets names from ssh_config through (OpenSSH trusts its files): HostName with a space-free odd name', async () => {
    const d = await markerDir('names-config')
    await using c = new Connection('safe', { config: config(['Host safe', '  HostName odd,name', `  ProxyCommand touch ${d}/%h`]) })
    await expect(c.open()).rejects.toBeInstanceOf(ProxyCommandError)
    expect(await readdir(d)).toEqual(['odd,name'])
  })
})
