import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { startSshd, type SshdHandle } from '@x/testbed'
import { Connection, HostKeyError } from '@x/connection'
import { fixedHostKey } from '@x/transport'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
let sshd: SshdHandle
let dir: string
beforeAll(async () => {
  sshd = await startSshd()
  dir = await mkdtemp(join(tmpdir(), 'xssh-conn-hostkeys-'))
})
afterAll(async () => {
  await sshd?.close()
  await rm(dir, { recursive: true, force: true })
})

function config(server: SshdHandle, knownHosts: string, lines: string[]): { text: string } {
  return {
    text: [
      'Host target',
      ...lines.map((l) => `  ${l}`),
      `  HostName ${server.host}`,
      `  Port ${server.port}`,
      `  User ${server.user}`,
      `  UserKnownHostsFile ${knownHosts}`,
      '  GlobalKnownHostsFile /dev/null',
      `  IdentityFile ${server.clientKeys.ed25519.privatePath}`,
      '  IdentitiesOnly yes',
    ].join('\n'),
  }
}

/** Whether `ssh-keygen -F` finds `[host]:port` in `file`. */
async function sshKeygenFinds(file: string, server: SshdHandle): Promise<boolean> {
  const found = await run('ssh-keygen', ['-F', `[${server.host}]:${server.port}`, '-f', file]).then((r) => r.stdout, () => '')
  return found.includes('found:')
}

describe('Connection host-key policy', () => {
  it('rejects an unknown host under StrictHostKeyChecking yes', async () => {
    const file = join(dir, 'strict')
    await writeFile(file, '')
    const c = new Connection('target', { config: config(sshd, file, ['StrictHostKeyChecking yes']) })
    const err = await c.open().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(HostKeyError)
    expect((err as HostKeyError).reason).toBe('unknown')
    expect(await readFile(file, 'utf8')).toBe('')
  })

  it('names the known_hosts files it read in the unknown-key error, as ssh_config lists them', async () => {
    const file = join(dir, 'named')
    await writeFile(file, '')
    const c = new Connection('target', { config: config(sshd, file, ['StrictHostKeyChecking yes']) })
    const err = await c.open().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(HostKeyError)
    expect((err as HostKeyError).knownHostsFiles).toEqual([file, '/dev/null'])
    expect((err as HostKeyError).message).toContain(file)
  })

  // The testbed's fingerprints are ssh-keygen -lf's output.
  it('pins the host key by the fingerprint ssh-keygen -lf prints, through hostKeys.policy', async () => {
    const ed = sshd.hostKeys.find((k) => k.type === 'ssh-ed25519')!
    await using c = new Connection('target', {
      config: config(sshd, '/nonexistent/known_hosts', ['HostKeyAlgorithms ssh-ed25519']),
      hostKeys: { policy: fixedHostKey(ed.fingerprint) },
    })
    await c.open()
    expect(c.transport!.remoteServerKey!.fingerprint).toBe(ed.fingerprint)
  })

  it('treats the default (ask, with nobody to ask) as strict', async () => {
    const file = join(dir, 'ask')
    await writeFile(file, '')
    const c = new Connection('target', { config: config(sshd, file, []) })
    await expect(c.open()).rejects.toBeInstanceOf(HostKeyError)
  })

  it('learns a new host under accept-new, in a line ssh-keygen -F finds', async () => {
    const file = join(dir, 'learn')
    {
      await using c = new Connection('target', { config: config(sshd, file, ['StrictHostKeyChecking accept-new']) })
      await c.open()
    }
    expect(await sshKeygenFinds(file, sshd)).toBe(true)
    // Now known: strict checking accepts it.
    await using again = new Connection('target', { config: config(sshd, file, ['StrictHostKeyChecking yes']) })
    await again.open()
  })

  it('hashes the learnt line when HashKnownHosts is yes', async () => {
    const file = join(dir, 'hashed')
    await using c = new Connection('target', { config: config(sshd, file, ['StrictHostKeyChecking accept-new', 'HashKnownHosts yes']) })
    await c.open()
    const text = await readFile(file, 'utf8')
    expect(text.startsWith('|1|')).toBe(true)
    expect(text).not.toContain(String(sshd.port))
    expect(await sshKeygenFinds(file, sshd)).toBe(true)
  })

  it('leaves 20 well-formed lines after 20 parallel first connections to 20 servers', async () => {
    const servers = await Promise.all(Array.from({ length: 20 }, () => startSshd({ logLevel: 'INFO' })))
    const file = join(dir, 'twenty')
    try {
      await Promise.all(servers.map(async (server) => {
        await using c = new Connection('target', { config: config(server, file, ['StrictHostKeyChecking accept-new']) })
        await c.open()
      }))
      const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l !== '')
      expect(lines).toHaveLength(20)
      for (const server of servers) expect(await sshKeygenFinds(file, server)).toBe(true)
    } finally {
      await Promise.all(servers.map((s) => s.close()))
    }
  }, 120_000)
})
