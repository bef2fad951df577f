import { freezeProcesses, startSshd, type SshdHandle } from '@x/testbed'
import { ConfigError, Connection, TimeoutError } from '@x/connection'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectionTo } from './helpers.js'

let sshd: SshdHandle
beforeAll(async () => {
  sshd = await startSshd()
})
afterAll(async () => {
  await sshd?.close()
})

describe('ssh_config settings reach the transport', () => {
  it('negotiates the Ciphers, MACs and KexAlgorithms ssh_config asks for', async () => {
    await using c = connectionTo(sshd, {}, ['Ciphers aes256-ctr', 'MACs hmac-sha2-512', 'KexAlgorithms ecdh-sha2-nistp384'])
    await c.open()
    expect(c.transport!.negotiated).toMatchObject({ cipher: 'aes256-ctr', mac: 'hmac-sha2-512', kex: 'ecdh-sha2-nistp384' })
  })

  it('turns on compression with Compression yes', async () => {
    await using c = connectionTo(sshd, {}, ['Compression yes'])
    await c.open()
    expect(c.transport!.negotiated!.compression).toMatch(/zlib/)
    expect((await c.run('echo compressed')).stdout).toBe('compressed\n')
  })

  it('refuses an algorithm list with nothing this library can negotiate', () => {
    expect(() => connectionTo(sshd, {}, ['KexAlgorithms sntrup761x25519-sha512@openssh.com'])).not.toThrow()
    const c = connectionTo(sshd, {}, ['KexAlgorithms sntrup761x25519-sha512@openssh.com'])
    return expect(c.open()).rejects.toBeInstanceOf(ConfigError)
  })

  it('takes ServerAliveInterval and ServerAliveCountMax for keepalive: a stopped peer is detected in time', async () => {
    const server = await startSshd()
    try {
      await using c = connectionTo(server, {}, ['ServerAliveInterval 1', 'ServerAliveCountMax 1'])
      await c.open()
      const closed = new Promise<unknown>((resolve) => c.transport!.once('close', resolve))
      // The post-auth sshd child takes over after authentication: a command proves it runs.
      await c.run('true')
      const pids = await server.connectionPids()
      await freezeProcesses(pids)
      const started = Date.now()
      const reason = await closed
      expect(reason).toBeInstanceOf(TimeoutError)
      expect((reason as TimeoutError).phase).toBe('keepalive')
      expect(Date.now() - started).toBeLessThanOrEqual((1 + 1) * 1_000 + 1_000)
      expect(c.isConnected).toBe(false)
    } finally {
      await server.close()
    }
  })

  it('reports a config OpenSSH would refuse as ConfigError with file and line', () => {
    const err = (() => {
      try {
        return new Connection('target', { config: { text: 'Host target\n  Port notaport\n', path: '/virtual/config' } })
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).line).toBe(2)
  })
})
