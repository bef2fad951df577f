// listen() against Dropbear's dbclient (Debian's dropbear-bin): the scenarios
// packages/testbed/test/clients-dropbear.test.ts runs against OpenSSH's sshd.
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createConnection } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runDbclient, startDbclientForward, startEchoServer } from '@x/testbed'
import { startClientsFixture } from './support/client-target.js'
import type { ClientsFixture } from './support/client-target.js'

/** Sends `payload` through 127.0.0.1:`port` and resolves with every byte that comes back. */
async function echoThrough(port: number, payload: Buffer): Promise<Buffer> {
  const socket = createConnection({ host: '127.0.0.1', port })
  const chunks: Buffer[] = []
  let length = 0
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`echo: ${length} of ${payload.length} bytes`)), 15_000)
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      length += chunk.length
      if (length >= payload.length) {
        clearTimeout(timer)
        resolve()
      }
    })
    socket.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
  })
  try {
    await once(socket, 'connect')
    socket.write(payload)
    await done
    return Buffer.concat(chunks)
  } finally {
    socket.destroy()
  }
}

describe('listen() with Dropbear dbclient', () => {
  let f: ClientsFixture
  beforeAll(async () => {
    f = await startClientsFixture()
  })
  afterAll(() => f?.close())

  it('exec: stdin in, stdout and stderr apart, the exit code relayed', async () => {
    const r = await runDbclient(f.target, 'cat; echo err >&2; exit 4', { input: 'from stdin\n' })
    expect(r.stdout.toString(), r.stderr).toBe('from stdin\n')
    expect(r.stderr).toBe('err\n')
    expect(r.code).toBe(4)
  })

  it('-L: two connections through the forward echo 1 MB each byte-exact', async () => {
    await using echo = await startEchoServer()
    await using fwd = await startDbclientForward(f.target, echo.port)
    for (let i = 0; i < 2; i++) {
      const payload = randomBytes(1 << 20)
      expect((await echoThrough(fwd.localPort, payload)).equals(payload)).toBe(true)
    }
  })

  it('-L to a destination the forwarding policy refuses carries no byte', async () => {
    await using echo = await startEchoServer()
    await using fwd = await startDbclientForward(f.target, echo.port, { remoteHost: 'localhost' })
    await expect(echoThrough(fwd.localPort, Buffer.from('ping\n'))).rejects.toThrow()
    expect(echo.connections).toBe(0)
  })
})
