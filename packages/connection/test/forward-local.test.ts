/**
 * forwardLocal() (`ssh -L`) through the test bed's OpenSSH sshd: bytes are checked by SHA-256
 * through an echo server, refusals and closes are observed from the client socket's side, and a
 * freed port is one that refuses a connection.
 */
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type Server, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { closedPort, startEchoServer, startSshd, startTcpServer, waitFor, type SshdHandle, type TcpServerHandle } from '@x/testbed'
import { ChannelOpenError, ConnectionLostError, ForwardError, type SSHError, type Transport } from '@x/transport'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { forwardLocal } from '../src/forwarding/forward-local.js'
import { authenticatedTransport, collect } from '../../transport/test/helpers.js'
import { destroyDialed, dial, dialOutcome, roundTrip, sha256 } from './loopback-dial.js'
import { settledWithin } from './settle-within.js'
import { killConnections } from '@x/testbed'

const MiB = 1024 * 1024

let sshd: SshdHandle
let noForwarding: SshdHandle
let echo: TcpServerHandle
let t: Transport
const closeErrors: SSHError[] = []

beforeAll(async () => {
  ;[sshd, noForwarding, echo] = await Promise.all([startSshd(), startSshd({ allowTcpForwarding: false }), startEchoServer()])
  t = await authenticatedTransport(sshd)
  t.on('close', (err) => void (err && closeErrors.push(err)))
})

afterAll(async () => {
  destroyDialed()
  await t?.close()
  await Promise.all([sshd?.close(), noForwarding?.close(), echo?.close()])
  await new Promise((resolve) => setImmediate(resolve))
  expect(closeErrors).toEqual([])
})

/** Streams `total` numbered pseudo-random bytes into `out` (respecting drain) and returns their SHA-256. */
function send(out: NodeJS.WritableStream, total: number): Promise<string> {
  const hash = createHash('sha256')
  const block = randomBytes(MiB)
  let sent = 0
  return new Promise((resolve, reject) => {
    const write = (): void => {
      while (sent < total) {
        const chunk = Buffer.from(block.subarray(0, Math.min(block.length, total - sent)))
        chunk.writeUInt32BE(sent / MiB, 0)
        hash.update(chunk)
        sent += chunk.length
        if (!out.write(chunk)) return void out.once('drain', write)
      }
      out.end()
      resolve(hash.digest('hex'))
    }
    out.on('error', reject)
    write()
  })
}

/** Whether `socket` closes (by itself) within `ms`. */
async function closesWithin(socket: Socket, ms: number): Promise<boolean> {
  if (socket.destroyed) return true
  const ac = new AbortController()
  const closed = once(socket, 'close', { signal: ac.signal }).then(() => true, () => false)
  const result = await Promise.race([closed, sleep(ms, false)])
  ac.abort()
  return result
}

describe('forwardLocal()', () => {
  it('carries 64 MiB to an echo server and back byte-exact', async () => {
    await using fwd = await forwardLocal(t, { remoteHost: '127.0.0.1', remotePort: echo.port })
    expect(fwd.host).toBe('127.0.0.1')
    expect(fwd.port).toBeGreaterThan(0)
    const socket = await dial(fwd.port)
    const [sent, received] = await Promise.all([send(socket, 64 * MiB), collect(socket)])
    expect(received.length).toBe(64 * MiB)
    expect(sha256(received)).toBe(sent)
    await waitFor(() => fwd.connections === 0, { timeoutMs: 5000, description: 'the connection to be released' })
  }, 120_000)

  it("reaches remoteHost 'localhost' by default, from many connections at once", async () => {
    await using fwd = await forwardLocal(t, { remotePort: echo.port })
    expect(fwd.remoteHost).toBe('localhost')
    const payloads = Array.from({ length: 8 }, () => randomBytes(200_000))
    const replies = await Promise.all(payloads.map((p) => roundTrip(fwd.port, p)))
    replies.forEach((reply, i) => expect(sha256(reply)).toBe(sha256(payloads[i]!)))
  })

  it('takes 40 connections at once without a MaxListenersExceededWarning (the hygiene check fails on one)', async () => {
    await using fwd = await forwardLocal(t, { remoteHost: '127.0.0.1', remotePort: echo.port })
    const payloads = Array.from({ length: 40 }, () => randomBytes(16_384))
    const replies = await Promise.all(payloads.map((p) => roundTrip(fwd.port, p)))
    replies.forEach((reply, i) => expect(sha256(reply)).toBe(sha256(payloads[i]!)))
  })

  it('closes only the socket whose channel is refused; the forward and its other connections go on', async () => {
    const port = await closedPort()
    const target = await listenEcho(port)
    const errors: Error[] = []
    await using fwd = await forwardLocal(t, { remoteHost: '127.0.0.1', remotePort: port, onConnectionError: (e) => errors.push(e) })
    const first = await dial(fwd.port)
    expect((await roundTripOn(first, 'one ')).toString()).toBe('one ') // its channel is open
    const firstReply = collect(first)

    target.server.close() // stops accepting; `first` stays connected
    const refused = await dial(fwd.port)
    expect(await closesWithin(refused, 5000)).toBe(true)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBeInstanceOf(ChannelOpenError)
    expect((errors[0] as ChannelOpenError).reason).toBe(2) // RFC 4254 §5.1: connect failed

    first.end('two')
    expect((await firstReply).toString()).toBe('two')
    const again = await listenEcho(port)
    try {
      expect((await roundTrip(fwd.port, Buffer.from('three'))).toString()).toBe('three')
    } finally {
      await again.close()
    }
    await target.close()
  })

  it('reports a channel refused by AllowTcpForwarding no and keeps listening', async () => {
    const n = await authenticatedTransport(noForwarding)
    try {
      const errors: Error[] = []
      await using fwd = await forwardLocal(n, { remotePort: echo.port, onConnectionError: (e) => errors.push(e) })
      for (let i = 0; i < 2; i++) {
        const socket = await dial(fwd.port)
        expect(await closesWithin(socket, 5000)).toBe(true)
      }
      expect(errors.map((e) => (e as ChannelOpenError).reason)).toEqual([1, 1])
    } finally {
      await n.close()
    }
  })

  it('close() stops listening, destroys open connections, and is idempotent', async () => {
    const fwd = await forwardLocal(t, { remotePort: echo.port, remoteHost: '127.0.0.1' })
    const socket = await dial(fwd.port)
    expect((await roundTripOn(socket, 'ping')).toString()).toBe('ping')
    expect(fwd.connections).toBe(1)
    const closing = fwd.close()
    expect(fwd.close()).toBe(closing)
    await closing
    expect(fwd.closed).toBe(true)
    expect(await closesWithin(socket, 5000)).toBe(true)
    expect(fwd.connections).toBe(0)
    expect(await dialOutcome(fwd.port)).toBe('ECONNREFUSED')
    await fwd[Symbol.asyncDispose]()
  })

  it('frees the local port and closes its connections when the transport is destroyed', async () => {
    const t2 = await authenticatedTransport(sshd)
    const fwd = await forwardLocal(t2, { remotePort: echo.port, remoteHost: '127.0.0.1' })
    const socket = await dial(fwd.port)
    expect((await roundTripOn(socket, 'ping')).toString()).toBe('ping')
    t2.destroy()
    await waitFor(() => fwd.closed, { timeoutMs: 5000, description: 'the forward to close with its transport' })
    expect(await closesWithin(socket, 5000)).toBe(true)
    await waitFor(async () => (await dialOutcome(fwd.port)) === 'ECONNREFUSED', { timeoutMs: 5000, description: 'the port to be freed' })
    await fwd.close() // still fine afterwards
  })

  it('pushes back on a client when the target does not read (no unbounded buffering)', async () => {
    const stalled = await startTcpServer((socket) => socket.pause())
    try {
      await using fwd = await forwardLocal(t, { remotePort: stalled.port, remoteHost: '127.0.0.1' })
      const socket = await dial(fwd.port)
      const block = Buffer.alloc(MiB)
      let accepted = 0
      // Write while the forward keeps taking data; stop once a write has waited 1 s for drain.
      while (accepted < 512 * MiB) {
        accepted += block.length
        if (socket.write(block)) continue
        const drained = await Promise.race([once(socket, 'drain').then(() => true), sleep(1000, false)])
        if (!drained) break
      }
      // Kernel buffers on both TCP hops, the SSH window and sshd's buffers hold some (about 12 MiB
      // on loopback); a forward that read without waiting would take all 512 MiB.
      expect(accepted).toBeLessThan(64 * MiB)
      socket.destroy()
    } finally {
      await stalled.close()
    }
  }, 60_000)

  it('listens on a requested port and raises ForwardError when it is taken', async () => {
    const port = await closedPort()
    await using fwd = await forwardLocal(t, { localPort: port, remotePort: echo.port })
    expect(fwd.port).toBe(port)
    const err = await forwardLocal(t, { localPort: port, remotePort: echo.port }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ForwardError)
    expect(((err as ForwardError).cause as NodeJS.ErrnoException).code).toBe('EADDRINUSE')
  })

  it('rejects with the signal reason when aborted before it listens, and closes when aborted later', async () => {
    const reason = new Error('not now')
    await expect(forwardLocal(t, { remotePort: echo.port, signal: AbortSignal.abort(reason) })).rejects.toBe(reason)
    const ac = new AbortController()
    const fwd = await forwardLocal(t, { remotePort: echo.port, signal: ac.signal })
    ac.abort(reason)
    await waitFor(() => fwd.closed, { timeoutMs: 2000 })
    await fwd.close()
    expect(await dialOutcome(fwd.port)).toBe('ECONNREFUSED')
  })

  it('runs many forwards on one transport without piling listeners on it', async () => {
    const before = t.listenerCount('close')
    const forwards = await Promise.all(Array.from({ length: 20 }, () => forwardLocal(t, { remotePort: echo.port, remoteHost: '127.0.0.1' })))
    expect(t.listenerCount('close')).toBeLessThanOrEqual(before + 1)
    const replies = await Promise.all(forwards.map((f, i) => roundTrip(f.port, Buffer.from(`n${i}`))))
    expect(replies.map(String)).toEqual(forwards.map((_, i) => `n${i}`))
    await Promise.all(forwards.map((f) => f.close()))
  })

  it('refuses a closed transport and bad options', async () => {
    const t2 = await authenticatedTransport(sshd)
    await t2.close()
    await expect(forwardLocal(t2, { remotePort: echo.port })).rejects.toBeInstanceOf(ConnectionLostError)
    await expect(forwardLocal(t, { remotePort: 0 })).rejects.toBeInstanceOf(RangeError)
    await expect(forwardLocal(t, { remotePort: 70000 })).rejects.toBeInstanceOf(RangeError)
    await expect(forwardLocal(t, { remotePort: 22, localPort: -1 })).rejects.toBeInstanceOf(RangeError)
    await expect(forwardLocal(t, { remotePort: 22, localHost: '' })).rejects.toBeInstanceOf(TypeError)
  })
})

/** Writes `text` on an open socket and resolves with the first reply. */
async function roundTripOn(socket: Socket, text: string): Promise<Buffer> {
  const reply = once(socket, 'data') as Promise<[Buffer]>
  socket.write(text)
  return (await reply)[0]
}

/** An echo server of the test's own on 127.0.0.1:`port` (so the test can stop its listener). */
async function listenEcho(port: number): Promise<{ server: Server; close(): Promise<void> }> {
  const open = new Set<Socket>()
  const server = createServer((socket) => {
    open.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => open.delete(socket))
    socket.pipe(socket)
  })
  server.on('error', () => {})
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host: '127.0.0.1', port }, () => resolve())
  })
  return {
    server,
    async close() {
      for (const socket of open) socket.destroy()
      if (server.listening) await new Promise((resolve) => server.close(resolve))
    },
  }
}

describe('forwardLocal() waitClosed()', () => {
  it('stays pending while the forward runs and resolves with undefined after close(), the same promise every call', async () => {
    const fwd = await forwardLocal(t, { remotePort: echo.port, remoteHost: '127.0.0.1' })
    const closed = fwd.waitClosed()
    expect(fwd.waitClosed()).toBe(closed)
    expect(await settledWithin(closed, 100)).toBe('pending')
    await fwd.close()
    expect(await settledWithin(closed, 5000)).toBeUndefined()
  })

  it("resolves with ConnectionLostError when sshd's session process is killed under it", async () => {
    await using victim = await startSshd()
    const t2 = await authenticatedTransport(victim)
    const fwd = await forwardLocal(t2, { remotePort: echo.port, remoteHost: '127.0.0.1' })
    expect(await killConnections(victim)).toBeGreaterThan(0)
    const cause = await settledWithin(fwd.waitClosed(), 5000)
    expect(cause).toBeInstanceOf(ConnectionLostError)
    expect(fwd.closed).toBe(true)
    await t2.close()
  })
})
