import { connect } from 'node:net'
import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import { fingerprintOfFile, startSsh2Server, waitFor } from '../src/index.js'
import { writeFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ssh2Connect, ssh2End } from './helpers.js'

describe('startSsh2Server', () => {
  it('accepts TCP connections on 127.0.0.1 and counts them', async () => {
    await using server = await startSsh2Server()
    expect(server.host).toBe('127.0.0.1')
    const socket = connect({ host: server.host, port: server.port })
    socket.on('error', () => {})
    await once(socket, 'connect')
    await waitFor(() => server.connections === 1)
    const ident = await once(socket, 'data')
    expect(String(ident[0])).toMatch(/^SSH-2\.0-/)
    socket.destroy()
    await waitFor(() => server.connections === 0)
  })

  it('hands each connection to onConnection to script authentication', async () => {
    const methods: string[] = []
    await using server = await startSsh2Server({
      onConnection: (client) => {
        client.on('authentication', (ctx) => {
          methods.push(ctx.method)
          if (ctx.method === 'password' && ctx.password === 'sesame') ctx.accept()
          else ctx.reject(['password'])
        })
      },
    })
    let seenKey = ''
    const client = await ssh2Connect({
      host: server.host, port: server.port, username: 'anyone', password: 'sesame',
      hostVerifier: (key: Buffer) => {
        seenKey = key.toString('base64')
        return true
      },
    })
    await ssh2End(client)
    expect(methods).toEqual(['none', 'password'])
    expect(server.hostKey.publicLine).toBe(`ssh-ed25519 ${seenKey}`)
    expect(server.knownHostsLine).toBe(`[127.0.0.1]:${server.port} ${server.hostKey.publicLine}`)
  })

  it('reports the fingerprint ssh-keygen computes', async () => {
    await using server = await startSsh2Server()
    const dir = await mkdtemp(join(tmpdir(), 'xssh-fp-'))
    try {
      await writeFile(join(dir, 'key.pub'), `${server.hostKey.publicLine}\n`)
      expect(await fingerprintOfFile(join(dir, 'key.pub'))).toBe(server.hostKey.fingerprint)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('close() destroys open connections, also ones that never sent an identification line', async () => {
    const server = await startSsh2Server()
    const socket = connect({ host: server.host, port: server.port })
    socket.on('error', () => {})
    socket.resume() // read the server's identification line, so 'end' and 'close' can follow
    await once(socket, 'connect')
    await waitFor(() => server.connections === 1)
    const closed = once(socket, 'close')
    await server.close()
    await closed
    expect(server.connections).toBe(0)
    await server.close()
  })
})
