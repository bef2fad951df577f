import { createHash, randomBytes } from 'node:crypto'
import { connect, createServer, type Socket } from 'node:net'
import { startEchoServer, startSshd, type SshdHandle } from '@x/testbed'
import { ChannelOpenError, ForwardError, type Channel, type Transport } from '@x/transport'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authenticatedTransport, collect } from './helpers.js'

let sshd: SshdHandle
let noForwarding: SshdHandle
let echo: Awaited<ReturnType<typeof startEchoServer>>
let t: Transport
beforeAll(async () => {
  ;[sshd, noForwarding, echo] = await Promise.all([
    startSshd(),
    startSshd({ allowTcpForwarding: false }),
    startEchoServer(),
  ])
  t = await authenticatedTransport(sshd)
})
afterAll(async () => {
  await t?.close()
  await Promise.all([sshd?.close(), noForwarding?.close(), echo?.close()])
})

/** Streams `total` pseudo-random bytes into `ch` and returns the SHA-256 of what was sent. */
function pump(ch: NodeJS.WritableStream, total: number): Promise<string> {
  const hash = createHash('sha256')
  const block = randomBytes(1 << 20)
  let sent = 0
  return new Promise((resolve, reject) => {
    const write = (): void => {
      while (sent < total) {
        const chunk = block.subarray(0, Math.min(block.length, total - sent))
        // Vary the payload so a reordered or repeated block cannot hash the same.
        chunk.writeUInt32BE(sent >>> 0, 0)
        hash.update(chunk)
        sent += chunk.length
        if (!ch.write(Buffer.from(chunk))) return void ch.once('drain', write)
      }
      ch.end()
      resolve(hash.digest('hex'))
    }
    ch.on('error', reject)
    write()
  })
}

function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex')
}

describe('direct-tcpip channels', () => {
  it('carries 64 MiB to an echo server and back byte-exact', async () => {
    const ch = await t.openChannel('direct-tcpip', { dest: ['127.0.0.1', echo.port] })
    const [sent, received] = await Promise.all([pump(ch, 64 << 20), collect(ch)])
    expect(received.length).toBe(64 << 20)
    expect(sha256(received)).toBe(sent)
  }, 120_000)

  it('a refused target is a ChannelOpenError with RFC 4254 reason 2 (connect failed)', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer()
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port
        s.close(() => resolve(p))
      })
    })
    const err = await t.openChannel('direct-tcpip', { dest: ['127.0.0.1', port] }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ChannelOpenError)
    expect((err as ChannelOpenError).reason).toBe(2)
  })

  it('AllowTcpForwarding no refuses with reason 1 (administratively prohibited)', async () => {
    await using n = await authenticatedTransport(noForwarding)
    const err = await n.openChannel('direct-tcpip', { dest: ['127.0.0.1', echo.port] }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ChannelOpenError)
    expect((err as ChannelOpenError).reason).toBe(1)
  })
})

async function roundTrip(port: number, payload: string): Promise<string> {
  const sock: Socket = connect(port, '127.0.0.1')
  sock.end(payload)
  return (await collect(sock)).toString()
}

describe('remote port forwarding', () => {
  it('delivers connections to a handler with origin and server addresses', async () => {
    const seen: Array<readonly [string, number]> = []
    const port = await t.requestPortForward('127.0.0.1', 0, (ch, info) => {
      seen.push(info.server)
      ch.pipe(ch)
    })
    expect(port).toBeGreaterThan(0)
    expect(await roundTrip(port, 'via handler')).toBe('via handler')
    expect(seen[0]).toEqual(['127.0.0.1', port])
    await t.cancelPortForward('127.0.0.1', port)
  })

  it('queues connections for accept() when no handler is given, and cancel frees the port', async () => {
    const port = await t.requestPortForward('127.0.0.1', 0)
    const reply = roundTrip(port, 'via accept')
    const ch = (await t.accept({ timeoutMs: 5_000 })) as Channel
    expect(ch).not.toBeNull()
    ch.pipe(ch)
    expect(await reply).toBe('via accept')
    expect(await t.accept({ timeoutMs: 50 })).toBeNull()
    await t.cancelPortForward('127.0.0.1', port)
    const refused = await new Promise<string>((resolve) => {
      const s = connect(port, '127.0.0.1')
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'))
      s.on('connect', () => {
        s.destroy()
        resolve('connected')
      })
    })
    expect(refused).toBe('ECONNREFUSED')
  })

  it('a refused forward request is a ForwardError', async () => {
    await using n = await authenticatedTransport(noForwarding)
    await expect(n.requestPortForward('127.0.0.1', 0)).rejects.toBeInstanceOf(ForwardError)
  })
})
