/**
 * forwardRemote() (`ssh -R`) through the test bed's OpenSSH sshd. The server runs on this
 * machine, so the port it listens on is reachable here: connecting to it is how the test plays
 * a client on the server's side, and a refused connection shows the port was freed.
 */
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type Socket } from 'node:net'
import { closedPort, startEchoServer, startSshd, startTcpServer, waitFor, type SshdHandle, type TcpServerHandle } from '@x/testbed'
import { ConnectionLostError, ForwardError, type SSHError, type Transport } from '@x/transport'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { forwardRemote } from '../src/forwarding/forward-remote.js'
import { authenticatedTransport } from '../../transport/test/helpers.js'
import { destroyDialed, dial, dialOutcome, roundTrip, sha256 } from './loopback-dial.js'
import { settledWithin } from './settle-within.js'
import { killConnections } from '@x/testbed'

const MiB = 1024 * 1024

let sshd: SshdHandle
let localOnly: SshdHandle
let echo: TcpServerHandle
let t: Transport
const closeErrors: SSHError[] = []

beforeAll(async () => {
  ;[sshd, localOnly, echo] = await Promise.all([startSshd(), startSshd({ allowTcpForwarding: 'local' }), startEchoServer()])
  t = await authenticatedTransport(sshd)
  t.on('close', (err) => void (err && closeErrors.push(err)))
})

afterAll(async () => {
  destroyDialed()
  await t?.close()
  await Promise.all([sshd?.close(), localOnly?.close(), echo?.close()])
  await new Promise((resolve) => setImmediate(resolve))
  expect(closeErrors).toEqual([])
})

describe('forwardRemote()', () => {
  it('delivers connections to the server port to a local service, byte-exact', async () => {
    await using rf = await forwardRemote(t, { localPort: echo.port })
    expect(rf.host).toBe('127.0.0.1')
    expect(rf.port).toBeGreaterThan(0)
    const big = randomBytes(16 * MiB)
    expect(sha256(await roundTrip(rf.port, big))).toBe(sha256(big))
    const payloads = Array.from({ length: 6 }, () => randomBytes(100_000))
    const replies = await Promise.all(payloads.map((p) => roundTrip(rf.port, p)))
    replies.forEach((reply, i) => expect(sha256(reply)).toBe(sha256(payloads[i]!)))
    await waitFor(() => rf.connections === 0, { timeoutMs: 5000, description: 'connections to be released' })
  }, 60_000)

  it('delivers a reply larger than the SSH window after the client half-closed, to its last byte', async () => {
    // The channel's reading side has ended (the client sent EOF) before the reply is written:
    // the reply's tail still waits for window space when the local service ends.
    const reply = randomBytes(8 * MiB)
    const service = await startTcpServer((socket) => {
      socket.resume()
      socket.once('end', () => socket.end(reply))
    })
    try {
      await using rf = await forwardRemote(t, { localPort: service.port })
      for (let i = 0; i < 5; i++) {
        const received = await roundTrip(rf.port, Buffer.from('request'))
        expect(received.length).toBe(reply.length)
        expect(sha256(received)).toBe(sha256(reply))
      }
    } finally {
      await service.close()
    }
  }, 60_000)

  it('opens a plain TCP connection to localHost:localPort for each forwarded channel', async () => {
    const peers: Array<string | undefined> = []
    const service = await startTcpServer((socket) => {
      peers.push(socket.remoteAddress)
      socket.end('hello from the client side')
    })
    try {
      await using rf = await forwardRemote(t, { localPort: service.port, localHost: '127.0.0.1' })
      expect((await roundTrip(rf.port, Buffer.alloc(0))).toString()).toBe('hello from the client side')
      expect(peers).toEqual(['127.0.0.1'])
    } finally {
      await service.close()
    }
  })

  it('close() frees the remote port, destroys open connections, and is idempotent', async () => {
    const rf = await forwardRemote(t, { localPort: echo.port })
    const socket = await dial(rf.port)
    const reply = once(socket, 'data') as Promise<[Buffer]>
    socket.write('ping')
    expect((await reply)[0].toString()).toBe('ping')
    const closing = rf.close()
    expect(rf.close()).toBe(closing)
    await closing
    expect(rf.closed).toBe(true)
    await waitFor(() => socket.destroyed || socket.readableEnded, { timeoutMs: 5000, description: 'the open connection to end' })
    expect(await dialOutcome(rf.port)).toBe('ECONNREFUSED')
    await rf[Symbol.asyncDispose]()
  })

  it('binds a requested port and raises ForwardError when the server cannot', async () => {
    const port = await closedPort()
    await using rf = await forwardRemote(t, { remotePort: port, localPort: echo.port })
    expect(rf.port).toBe(port)
    expect((await roundTrip(port, Buffer.from('fixed'))).toString()).toBe('fixed')
    await expect(forwardRemote(t, { remotePort: port, localPort: echo.port })).rejects.toBeInstanceOf(ForwardError)
    const n = await authenticatedTransport(localOnly)
    try {
      await expect(forwardRemote(n, { localPort: echo.port })).rejects.toBeInstanceOf(ForwardError)
    } finally {
      await n.close()
    }
  })

  it('destroys only the channel whose local connect is refused; the next connection works', async () => {
    const port = await closedPort()
    const errors: Error[] = []
    await using rf = await forwardRemote(t, { localPort: port, onConnectionError: (e) => errors.push(e) })
    const refused = await dial(rf.port)
    await waitFor(() => refused.destroyed || refused.readableEnded, { timeoutMs: 5000, description: 'the refused connection to end' })
    expect(errors.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(['ECONNREFUSED'])
    const service = await startEchoOn(port)
    try {
      expect((await roundTrip(rf.port, Buffer.from('now'))).toString()).toBe('now')
    } finally {
      await service.close()
    }
    expect(rf.closed).toBe(false)
  })

  it('closes itself when the transport goes away, and the server frees the port', async () => {
    const t2 = await authenticatedTransport(sshd)
    const rf = await forwardRemote(t2, { localPort: echo.port })
    const socket = await dial(rf.port)
    const reply = once(socket, 'data') as Promise<[Buffer]>
    socket.write('ping')
    expect((await reply)[0].toString()).toBe('ping')
    t2.destroy()
    await waitFor(() => rf.closed, { timeoutMs: 5000, description: 'the forward to close' })
    await waitFor(() => socket.destroyed || socket.readableEnded, { timeoutMs: 5000, description: 'the open connection to end' })
    await waitFor(async () => (await dialOutcome(rf.port)) === 'ECONNREFUSED', { timeoutMs: 5000, description: 'the server to free the port' })
    await rf.close()
  })

  it('rejects with the signal reason when aborted, and cancels a forward the server grants late', async () => {
    const reason = new Error('not now')
    await expect(forwardRemote(t, { localPort: echo.port, signal: AbortSignal.abort(reason) })).rejects.toBe(reason)
    const port = await closedPort()
    const ac = new AbortController()
    const starting = forwardRemote(t, { remotePort: port, localPort: echo.port, signal: ac.signal })
    ac.abort(reason) // the request is on the wire: the server grants it after the abort
    await expect(starting).rejects.toBe(reason)
    // The cancel goes out in the tick the grant arrives. Global requests are answered in order, so
    // after three round trips the server has granted, and then processed the cancel.
    for (let i = 0; i < 3; i++) await t.globalRequest('keepalive@openssh.com')
    expect(await dialOutcome(port)).toBe('ECONNREFUSED')
    await using again = await forwardRemote(t, { remotePort: port, localPort: echo.port })
    expect((await roundTrip(again.port, Buffer.from('ok'))).toString()).toBe('ok')

    const later = new AbortController()
    const rf = await forwardRemote(t, { localPort: echo.port, signal: later.signal })
    later.abort(reason)
    await waitFor(() => rf.closed, { timeoutMs: 2000 })
    await rf.close()
    await waitFor(async () => (await dialOutcome(rf.port)) === 'ECONNREFUSED', { timeoutMs: 5000 })
  })

  it('refuses a closed transport and bad options', async () => {
    const t2 = await authenticatedTransport(sshd)
    await t2.close()
    await expect(forwardRemote(t2, { localPort: echo.port })).rejects.toBeInstanceOf(ConnectionLostError)
    await expect(forwardRemote(t, { localPort: 0 })).rejects.toBeInstanceOf(RangeError)
    await expect(forwardRemote(t, { localPort: 22, remotePort: 65536 })).rejects.toBeInstanceOf(RangeError)
    await expect(forwardRemote(t, { localPort: 22, remoteHost: '' })).rejects.toBeInstanceOf(TypeError)
  })
})

/** An echo service on 127.0.0.1:`port`. */
function startEchoOn(port: number): Promise<{ close(): Promise<void> }> {
  const open = new Set<Socket>()
  const server = createServer((socket) => {
    open.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => open.delete(socket))
    socket.pipe(socket)
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host: '127.0.0.1', port }, () =>
      resolve({
        async close() {
          for (const socket of open) socket.destroy()
          await new Promise((done) => server.close(done))
        },
      }),
    )
  })
}

describe('forwardRemote() waitClosed()', () => {
  it('stays pending while the forward runs and resolves with undefined after close(), the same promise every call', async () => {
    const rf = await forwardRemote(t, { localPort: echo.port })
    const closed = rf.waitClosed()
    expect(rf.waitClosed()).toBe(closed)
    expect(await settledWithin(closed, 100)).toBe('pending')
    await rf.close()
    expect(await settledWithin(closed, 5000)).toBeUndefined()
  })

  it("resolves with ConnectionLostError when sshd's session process is killed under it", async () => {
    await using victim = await startSshd()
    const t2 = await authenticatedTransport(victim)
    const rf = await forwardRemote(t2, { localPort: echo.port })
    expect(await killConnections(victim)).toBeGreaterThan(0)
    const cause = await settledWithin(rf.waitClosed(), 5000)
    expect(cause).toBeInstanceOf(ConnectionLostError)
    expect(rf.closed).toBe(true)
    await t2.close()
  })
})
