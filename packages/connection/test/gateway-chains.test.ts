import { writeFile, rm, mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startSite, type SiteHandle } from '@x/testbed'
import { Connection, ConnectError, ConfigError } from '@x/connection'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { siteConfig } from './site-helpers.js'

let site: SiteHandle
let dir: string
beforeAll(async () => {
  site = await startSite()
  dir = await mkdtemp(join(tmpdir(), 'xssh-chains-'))
}, 60_000)
afterAll(async () => {
  await site?.close()
  await rm(dir, { recursive: true, force: true })
})

/** Runs a command that proves which server answered: its sshd/dropbear port as the server sees it. */
async function serverPort(c: Connection): Promise<number> {
  const r = await c.run('echo "$SSH_CONNECTION"')
  return Number(r.stdout.trim().split(' ')[3])
}

describe('through the isolated site', () => {
  it('cannot reach the inner hosts directly', async () => {
    expect(await site.directConnectFails()).toBe(true)
    const direct = new Connection('inner', { config: { text: siteConfig(site) }, connectTimeoutMs: 2_000 })
    await expect(direct.open()).rejects.toBeInstanceOf(ConnectError)
  })

  it('reaches the inner sshd and Dropbear through a Connection gateway, which stays open (borrowed)', async () => {
    const config = { text: siteConfig(site) }
    await using bastion = new Connection('bastion', { config })
    {
      await using inner = new Connection('inner', { config, gateway: bastion })
      expect(await serverPort(inner)).toBe(site.inner.port)
      await using dropbear = new Connection('dropbear', { config, gateway: bastion })
      expect((await dropbear.run('echo dropbear-ok')).stdout).toBe('dropbear-ok\n')
    }
    expect(bastion.isConnected).toBe(true)
    expect((await bastion.run('echo still')).stdout).toBe('still\n')
  })

  it('chains 2 and 3 hops (a gateway whose own gateway is set)', async () => {
    const config = { text: siteConfig(site) }
    await using bastion = new Connection('bastion', { config })
    await using middle = new Connection('middle', { config, gateway: bastion })
    await using inner = new Connection('inner', { config, gateway: middle })
    expect(await serverPort(inner)).toBe(site.inner.port)
    await using dropbear = new Connection('dropbear', { config, gateway: inner })
    expect((await dropbear.run('echo three-hops')).stdout).toBe('three-hops\n')
  })

  it("follows proxyJump: 'bastion,middle' and closes the hops it built", async () => {
    const c = new Connection('inner', { config: { text: siteConfig(site) }, proxyJump: 'bastion,middle' })
    expect(await serverPort(c)).toBe(site.inner.port)
    const hops = await site.bastion.connectionPids()
    expect(hops.length).toBeGreaterThan(0)
    await c.close()
    // The owned hops were closed: the bastion's per-connection processes go away.
    const deadline = Date.now() + 3_000
    while ((await site.bastion.connectionPids()).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    expect(await site.bastion.connectionPids()).toEqual([])
  })

  it("sends every hop's debug lines, Transport trace and Connection decisions, prefixed with the hop", async () => {
    const lines: string[] = []
    {
      await using c = new Connection('inner', { config: { text: siteConfig(site) }, proxyJump: 'bastion,middle', debug: (line) => lines.push(line) })
      expect(await serverPort(c)).toBe(site.inner.port)
    }
    const user = site.bastion.user
    for (const [alias, port] of [['bastion', site.bastion.port], ['middle', site.middle.port], ['inner', site.inner.port]] as const) {
      const mine = lines.filter((l) => l.startsWith(`[${user}@${alias}:${port}] `)).map((l) => l.slice(l.indexOf('] ') + 2))
      // ssh2's trace through the hop's Transport, and the Connection's own decisions.
      expect(mine.some((l) => l.startsWith('Outbound: ')), alias).toBe(true)
      expect(mine.some((l) => l.startsWith('route: ')), alias).toBe(true)
      expect(mine.some((l) => l.startsWith('host keys: ')), alias).toBe(true)
      expect(mine.some((l) => l.startsWith('auth: authenticated ')), alias).toBe(true)
    }
    expect(lines.every((l) => l.startsWith(`[${user}@`))).toBe(true)
  })

  it('follows ssh_config ProxyJump, including a hop whose own entry has a ProxyJump', async () => {
    const text = siteConfig(site, { inner: ['ProxyJump middle'], middle: ['ProxyJump bastion'], dropbear: ['ProxyJump bastion,middle'] })
    await using inner = new Connection('inner', { config: { text } })
    expect(await serverPort(inner)).toBe(site.inner.port)
    await using dropbear = new Connection('dropbear', { config: { text } })
    expect((await dropbear.run('echo via-config')).stdout).toBe('via-config\n')
  })

  it('refuses a jump loop and a runaway chain as ConfigError', () => {
    const loop = siteConfig(site, { inner: ['ProxyJump middle'], middle: ['ProxyJump inner'] })
    expect(() => new Connection('inner', { config: { text: loop } })).toThrow(ConfigError)
  })

  it('uses a ProxyCommand with the real OpenSSH client: ssh -W %h:%p bastion', async () => {
    const file = join(dir, 'ssh_config')
    await writeFile(file, siteConfig(site) + '  BatchMode yes\n')
    const text = siteConfig(site, { inner: [`ProxyCommand /usr/bin/ssh -F ${file} -W %h:%p bastion`] })
    await using inner = new Connection('inner', { config: { text } })
    expect(await serverPort(inner)).toBe(site.inner.port)
  })

  it('uses a ProxyCommand via socat through the relay (gateway string)', async () => {
    await using bastion = new Connection('bastion', { config: { text: siteConfig(site) }, gateway: `socat - TCP:127.0.0.1:${site.bastion.port}` })
    expect((await bastion.run('echo via-socat')).stdout).toBe('via-socat\n')
  })
})
