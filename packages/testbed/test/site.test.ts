import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readFileSync, readlinkSync, statSync } from 'node:fs'
import { get } from 'node:https'
import { hostname } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  hostConnectRefused, inNetns, isProcessAlive, listNetns, netnsPath, runCommand, startSite, waitFor,
} from '../src/index.js'
import type { CommandOutput, SiteHandle } from '../src/index.js'

const SSH = '/usr/bin/ssh'

/** Runs the OpenSSH client with the site's ssh_config (`-F`, which `-J` hands on to each jump). */
function ssh(site: SiteHandle, args: readonly string[], command: string): Promise<CommandOutput> {
  return runCommand(SSH, ['-F', site.sshConfigFile, ...args, command], { allowFailure: true, timeoutMs: 30_000 })
}

/** `ssh -J <bastion via relay>[,<more jumps>] -p <port> 127.0.0.1 <command>`. */
function sshThrough(site: SiteHandle, port: number, command: string, moreJumps: string[] = []): Promise<CommandOutput> {
  const jumps = [`${site.bastion.user}@127.0.0.1:${site.bastion.port}`, ...moreJumps].join(',')
  return ssh(site, ['-J', jumps, '-p', String(port), `${site.inner.user}@127.0.0.1`], command)
}

/** The `net:[inode]` that /proc/<pid>/ns/net shows for a process inside the site. */
function siteNetLink(site: SiteHandle): string {
  return `net:[${statSync(netnsPath(site.netns)).ino}]`
}

/** Spawns an OpenSSH client and collects its stdout. */
function spawnSsh(site: SiteHandle, args: readonly string[]): { child: ChildProcess; out: () => string } {
  const child = spawn(SSH, ['-F', site.sshConfigFile, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString('latin1')
  })
  child.stderr?.resume()
  child.stdin?.on('error', () => {})
  return { child, out: () => out }
}

/** Ends a spawned client (SIGTERM, then SIGKILL) and reaps it. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const closed = once(child, 'close')
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
  await closed
  clearTimeout(timer)
}

/**
 * Opens `ssh -W 127.0.0.1:<port>` through the bastion's relay and returns the first bytes the
 * in-site server sends within `ms` ('' when nothing comes).
 */
async function firstBytesThroughBastion(site: SiteHandle, port: number, ms: number): Promise<string> {
  const { child, out } = spawnSsh(site, ['-p', String(site.bastion.port), '-W', `127.0.0.1:${port}`, '127.0.0.1'])
  await waitFor(() => out().length >= 4, { timeoutMs: ms }).catch(() => {})
  await stop(child)
  return out().slice(0, 4)
}

describe('startSite', () => {
  let site: SiteHandle
  let startMs = 0
  beforeAll(async () => {
    const t0 = Date.now()
    site = await startSite()
    startMs = Date.now() - t0
  })
  afterAll(() => site?.close())

  it('starts within a few seconds, in a namespace of its own, each server on its own port', async () => {
    expect(startMs).toBeLessThan(8000)
    expect(site.netns).toMatch(new RegExp(`^xssh-site-${process.pid}-\\d+$`))
    expect(await listNetns()).toContain(site.netns)
    const inSite = [site.bastion.innerPort, site.middle.port, site.inner.port, site.innerDropbear.port,
      site.postgres.port, site.https.port]
    expect(new Set(inSite).size).toBe(6)
    expect(site.bastion).toMatchObject({ host: '127.0.0.1', kind: 'openssh' })
    expect(site.bastion.port).not.toBe(site.bastion.innerPort)
    expect(site.innerDropbear.kind).toBe('dropbear')
    for (const server of [site.middle, site.inner, site.innerDropbear]) expect(server.innerPort).toBe(server.port)
    // Every daemon runs in the site's namespace, not the host's.
    const link = siteNetLink(site)
    expect(link).not.toBe(readlinkSync('/proc/self/ns/net'))
    for (const pid of [site.bastion.pid, site.middle.pid, site.inner.pid, site.innerDropbear.pid, site.postgres.pid]) {
      expect(readlinkSync(`/proc/${pid}/ns/net`)).toBe(link)
    }
    expect(await site.bastion.connectionPids()).toEqual([])
  })

  it('cannot be reached directly from the host: every in-site port refuses', async () => {
    expect(await site.directConnectFails()).toBe(true)
    expect(await hostConnectRefused(site.inner.port)).toBe(true)
    expect(await hostConnectRefused(site.bastion.port)).toBe(false) // the relay listens
    const direct = await ssh(site, ['-p', String(site.inner.port), '127.0.0.1'], 'hostname')
    expect(direct.code).toBe(255)
    expect(direct.stderr).toContain('Connection refused')
  })

  it('ssh -J through the relay reaches the inner sshd, which runs hostname inside the site', async () => {
    const out = await sshThrough(site, site.inner.port, 'hostname; readlink /proc/self/ns/net')
    expect(out.stderr).toBe('')
    expect(out.code).toBe(0)
    expect(out.stdout).toBe(`${hostname()}\n${siteNetLink(site)}\n`)
  })

  it('ssh -J through the relay reaches the inner Dropbear', async () => {
    const out = await sshThrough(site, site.innerDropbear.port, 'hostname; readlink /proc/self/ns/net')
    expect(out.stderr).toBe('')
    expect(out.code).toBe(0)
    expect(out.stdout).toBe(`${hostname()}\n${siteNetLink(site)}\n`)
    expect(await site.innerDropbear.log()).toContain('Pubkey auth succeeded')
  })

  it('reaches the inner sshd in 3 hops: bastion, then middle', async () => {
    const out = await sshThrough(site, site.inner.port, 'echo three hops', [`127.0.0.1:${site.middle.port}`])
    expect(out.stderr).toBe('')
    expect(out.stdout).toBe('three hops\n')
    expect(await site.middle.log()).toContain(`direct-tcpip`)
  })

  it('needs -F for the jump: ssh -J hands neither -o nor -i to the ssh it runs for the bastion', async () => {
    const out = await runCommand(SSH, [
      '-F', '/dev/null', '-o', `UserKnownHostsFile=${site.knownHostsFile}`, '-o', 'StrictHostKeyChecking=yes',
      '-o', 'BatchMode=yes', '-i', site.inner.clientKeys.ed25519.privatePath,
      '-J', `${site.bastion.user}@127.0.0.1:${site.bastion.port}`,
      '-p', String(site.inner.port), `${site.inner.user}@127.0.0.1`, 'hostname',
    ], { allowFailure: true, timeoutMs: 30_000, env: { HOME: site.dirs[0] } })
    // The jump ssh reads $HOME/.ssh/known_hosts (none) and has no tty to ask: it gives up.
    expect(out.code).toBe(255)
    expect(out.stderr).toContain('Host key verification failed')
  })

  it('writes one known_hosts file: the bastion by its relay port, the others by their in-site ports', () => {
    const text = readFileSync(site.knownHostsFile, 'utf8')
    const expected = [site.bastion, site.middle, site.inner, site.innerDropbear].flatMap((s) =>
      s.hostKeys.map((k) => `[127.0.0.1]:${s.port} ${k.publicLine}`))
    expect(text.trim().split('\n')).toEqual(expected)
    expect(site.knownHostsLines).toEqual(expected)
    expect(readFileSync(site.bastion.knownHostsFile, 'utf8')).toContain(`[127.0.0.1]:${site.bastion.port} `)
    expect(site.bastion.knownHostsLines.every((l) => l.startsWith(`[127.0.0.1]:${site.bastion.port} `))).toBe(true)
  })

  it('PostgreSQL answers inside the site only', async () => {
    const psql = inNetns(site.netns, `${site.postgres.binDir}/psql`, [
      `host=127.0.0.1 port=${site.postgres.port} user=${site.postgres.user} dbname=${site.postgres.database} connect_timeout=5`,
      '-X', '-A', '-t', '-c', 'SELECT 6 * 7',
    ])
    const out = await runCommand(psql.file, psql.args, { env: { PGPASSWORD: site.postgres.password }, allowFailure: true })
    expect(out.stderr).toBe('')
    expect(out.stdout).toBe('42\n')
    expect(await hostConnectRefused(site.postgres.port)).toBe(true)
  })

  it('expose() relays another in-site port to the host: the HTTPS server answers through it', async () => {
    await using relay = await site.expose(site.https.port)
    expect(relay.port).not.toBe(site.https.port)
    const body = await new Promise<string>((resolve, reject) => {
      const req = get({ host: '127.0.0.1', port: relay.port, path: '/', ca: site.https.ca, agent: false }, (res) => {
        let text = ''
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString()
        })
        res.on('end', () => resolve(text))
        res.on('error', reject)
      })
      req.on('error', reject)
      req.setTimeout(10_000, () => req.destroy(new Error('timeout')))
    })
    expect(body).toBe(site.https.body)
  })

  it('partition() silently stalls the inner hosts: streams stop, connects hang; heal() resumes', async () => {
    const { child, out } = spawnSsh(site, ['-J', `127.0.0.1:${site.bastion.port}`, '-p', String(site.inner.port),
      '127.0.0.1', 'while :; do echo tick; sleep 0.1; done'])
    const ticks = (): number => out().split('\n').length - 1
    try {
      await waitFor(() => ticks() >= 3, { timeoutMs: 15_000, description: 'ticks before the partition' })
      expect(await firstBytesThroughBastion(site, site.inner.port, 5000)).toBe('SSH-')
      await site.partition()
      await sleep(300) // what was in flight arrives
      const frozen = ticks()
      await sleep(1000)
      expect(ticks()).toBe(frozen)
      expect(child.exitCode).toBe(null) // no error, no reset: the client just hears nothing
      expect(await firstBytesThroughBastion(site, site.inner.port, 1000)).toBe('')
      expect(await firstBytesThroughBastion(site, site.innerDropbear.port, 1000)).toBe('')
      expect(await firstBytesThroughBastion(site, site.middle.port, 5000)).toBe('SSH-') // the rest still works
      await site.heal()
      await waitFor(() => ticks() > frozen, { timeoutMs: 15_000, description: 'ticks after heal()' })
      expect(await firstBytesThroughBastion(site, site.inner.port, 5000)).toBe('SSH-')
    } finally {
      await site.heal()
      await stop(child)
    }
  })
})

describe('startSite close()', () => {
  it('a server that fails to start takes the whole site down: no namespace, no process left', async () => {
    const ours = async (): Promise<string[]> =>
      (await listNetns()).filter((n) => n.startsWith(`xssh-site-${process.pid}-`))
    expect(await ours()).toEqual([])
    await expect(startSite({ inner: { extraConfig: ['NoSuchKeyword yes'] } })).rejects.toThrow(/sshd exited before it was ready/)
    expect(await ours()).toEqual([])
    // The daemons are this process's children: the hygiene check fails the file if one is left.
  })

  it('leaves no process, namespace or temp dir behind; idempotent and quick', async () => {
    const site = await startSite()
    const { child } = spawnSsh(site, ['-J', `127.0.0.1:${site.bastion.port}`, '-p', String(site.inner.port),
      '127.0.0.1', 'sleep 60'])
    const childClosed = once(child, 'close')
    await waitFor(async () => (await site.inner.connectionPids()).length > 0, { timeoutMs: 15_000 })
    const pids = await site.pids()
    const dirs = site.dirs
    expect(pids.length).toBeGreaterThan(8) // 5 daemons, the relay, and the open connection's processes
    expect(dirs.every((d) => existsSync(d))).toBe(true)
    const t0 = Date.now()
    await site.close()
    expect(Date.now() - t0).toBeLessThan(8000)
    expect(pids.filter(isProcessAlive)).toEqual([])
    expect(await listNetns()).not.toContain(site.netns)
    expect(existsSync(netnsPath(site.netns))).toBe(false)
    expect(dirs.filter((d) => existsSync(d))).toEqual([])
    await site.close() // idempotent
    // The client sees its connection end (the relay is gone).
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    await childClosed
    clearTimeout(timer)
    expect(child.exitCode).toBe(255)
  })
})
