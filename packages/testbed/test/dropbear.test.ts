import { existsSync, readFileSync } from 'node:fs'
import { once } from 'node:events'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isProcessAlive, startDropbear, testUser, waitFor } from '../src/index.js'
import type { DropbearHandle } from '../src/index.js'
import { offeredMethods, opensshWithKey, ssh2Connect, ssh2End, ssh2Exec } from './helpers.js'

async function authorizedKeys(): Promise<string> {
  const user = await testUser()
  return readFileSync(`${user.home}/.ssh/authorized_keys`, 'utf8')
}

describe('startDropbear (publickey, the default)', () => {
  let server: DropbearHandle
  beforeAll(async () => {
    server = await startDropbear()
  })
  afterAll(() => server?.close())

  it('lets the OpenSSH client in with each authorized key type', async () => {
    for (const type of ['ed25519', 'ecdsa', 'rsa'] as const) {
      const out = await opensshWithKey(server, server.clientKeys[type].privatePath, 'id -un')
      expect(out.stdout, out.stderr).toBe(`${server.user}\n`)
      expect(out.code).toBe(0)
    }
  })

  it('refuses the unauthorized key and offers only publickey', async () => {
    const out = await opensshWithKey(server, server.clientKeys.unauthorized.privatePath)
    expect(out.code).toBe(255)
    expect(out.stderr).toContain('Permission denied (publickey)')
    expect(await offeredMethods(server)).toEqual(['publickey'])
  })

  it('logs as Dropbear and lists its host keys', async () => {
    expect(await server.log()).toContain('Not backgrounding')
    expect(server.hostKeys.map((k) => k.type)).toEqual(['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ssh-rsa'])
    expect(server.knownHostsLines).toHaveLength(3)
  })
})

describe('startDropbear variants and lifetime', () => {
  it('password: PAM-less Dropbear accepts the test password (and still keys)', async () => {
    await using server = await startDropbear({ auth: 'password' })
    expect((await offeredMethods(server)).sort()).toEqual(['password', 'publickey'])
    const client = await ssh2Connect({ host: server.host, port: server.port, username: server.user, password: server.password })
    expect(await ssh2Exec(client, 'id -un')).toBe(`${server.user}\n`)
    await ssh2End(client)
  })

  it('publickey,password (-t): a key alone is not enough, the password completes it', async () => {
    await using server = await startDropbear({ auth: 'publickey,password' })
    const keyOnly = await opensshWithKey(server, server.clientKeys.ed25519.privatePath)
    expect(keyOnly.code).toBe(255)
    const steps: string[] = []
    const client = await ssh2Connect({
      host: server.host, port: server.port, username: server.user,
      authHandler: (left, partial, next) => {
        if (left === null) return next({ type: 'publickey', username: server.user, key: server.clientKeys.ed25519.privateText })
        steps.push(`${partial}:${left.join(',')}`)
        return next({ type: 'password', username: server.user, password: server.password })
      },
    })
    await ssh2End(client)
    expect(steps).toEqual(['true:password'])
  })

  it('extraArgs reach Dropbear: -I 2 drops an idle connection', async () => {
    await using server = await startDropbear({ extraArgs: ['-I', '2'] }) // whole seconds: -I 1 can fire mid-handshake
    const client = await ssh2Connect({
      host: server.host, port: server.port, username: server.user, privateKey: server.clientKeys.ed25519.privateText,
    })
    const closed = once(client, 'close')
    const timer = setTimeout(() => client.destroy(), 10_000)
    await closed
    clearTimeout(timer)
    expect(await server.log()).toMatch(/Idle timeout/)
  })

  it('adds its keys to ~/.ssh/authorized_keys and removes exactly them on close', async () => {
    const before = await authorizedKeys()
    const server = await startDropbear()
    try {
      const during = await authorizedKeys()
      // Only this process's lines: a concurrent run on the machine adds and removes its own.
      const mine = ` xssh-testbed:${process.pid}:`
      const added = during.split('\n').filter((l) => l.includes(mine) && !before.includes(l))
      expect(added).toHaveLength(server.clientKeys.authorized.length)
      const client = await ssh2Connect({
        host: server.host, port: server.port, username: server.user, privateKey: server.clientKeys.ecdsa.privateText,
      })
      const pids = await waitFor(async () => {
        const found = await server.connectionPids()
        return found.length > 0 ? found : null
      })
      for (const pid of pids) process.kill(pid, 'SIGSTOP')
      const clientClosed = once(client, 'close')
      await server.close()
      client.destroy()
      await clientClosed
      expect(pids.filter(isProcessAlive)).toEqual([])
      expect(isProcessAlive(server.pid)).toBe(false)
      expect(existsSync(server.dir)).toBe(false)
      const after = await authorizedKeys()
      for (const line of added) expect(after).not.toContain(line)
    } finally {
      await server.close() // idempotent: a failed expectation must not leave Dropbear running
    }
  })
})
