import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import type { Duplex } from 'node:stream'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import tls from 'node:tls'
import {
  startEchoServer,
  startSshd,
  startTcpServer,
  startTlsHttpsServer,
  waitFor,
  type HttpsServerHandle,
  type SshdHandle,
  type TcpServerHandle,
} from '@x/testbed'
import { ChannelOpenError, ConnectionLostError, type Channel, type Transport } from '@x/transport'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authenticatedTransport, collect } from './helpers.js'

// ChannelSockets through a Transport to a real OpenSSH sshd, handed to node:tls, node:https and
// node:http as their socket, to TCP servers and a Unix socket on loopback.

type ChannelSocket = ReturnType<Channel['asSocket']>

let sshd: SshdHandle
let echo: TcpServerHandle
let tlsServer: HttpsServerHandle
beforeAll(async () => {
  ;[sshd, echo, tlsServer] = await Promise.all([startSshd(), startEchoServer(), startTlsHttpsServer()])
})
afterAll(async () => {
  await Promise.all([sshd?.close(), echo?.close(), tlsServer?.close()])
})

/** Fails after `ms` instead of waiting forever. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms)
  })
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer))
}

/** Resolves once `stream` has emitted 'close' (at once if it already has), bounded. */
function whenClosed(stream: Duplex, ms = 5_000): Promise<void> {
  if (stream.closed) return Promise.resolve()
  return within(ms, "the socket's 'close' event", once(stream, 'close').then(() => undefined))
}

/** Opens a direct-tcpip channel to 127.0.0.1:`port` and turns it into a socket. */
async function socketTo(t: Transport, port: number): Promise<ChannelSocket> {
  const ch = await t.openChannel('direct-tcpip', { dest: ['127.0.0.1', port] })
  return ch.asSocket()
}

/** Sends one request over `createConnection` and gathers the response. */
function request(
  lib: typeof http | typeof https,
  options: http.RequestOptions,
  body?: Buffer,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return within(10_000, `${options.method ?? 'GET'} ${options.path ?? '/'}`, new Promise((resolve, reject) => {
    const req = lib.request(options, (res) => {
      collect(res).then((data) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }), reject)
    })
    req.on('error', reject)
    req.end(body)
  }))
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex')

describe('ChannelSocket as the socket of node:tls and node:https', () => {
  it('fetches an HTTPS page through a direct-tcpip channel with certificate verification on', async () => {
    await using t = await authenticatedTransport(sshd)
    const socket = await socketTo(t, tlsServer.port)
    const tlsSocket = tls.connect({ socket, ca: tlsServer.ca, servername: 'localhost' })
    tlsSocket.on('error', () => {}) // a failure surfaces through the request below
    const res = await request(https, {
      host: 'localhost',
      path: '/',
      method: 'GET',
      createConnection: () => tlsSocket,
    })
    expect(res.status).toBe(200)
    expect(res.body.toString()).toBe(tlsServer.body)
    expect(tlsSocket.authorized).toBe(true)
    expect(tlsSocket.getPeerCertificate().subjectaltname).toContain('DNS:localhost')
    tlsSocket.destroy()
    await whenClosed(socket)
    expect(socket.destroyed).toBe(true)
  })

  it('fails the TLS handshake over the channel when the certificate is not trusted', async () => {
    await using t = await authenticatedTransport(sshd)
    const socket = await socketTo(t, tlsServer.port)
    const tlsSocket = tls.connect({ socket, servername: 'localhost' }) // no `ca`: the self-signed certificate is unknown
    const [err] = (await within(10_000, 'TLS error', once(tlsSocket, 'error'))) as [NodeJS.ErrnoException]
    expect(err.code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT')
    tlsSocket.destroy()
    await whenClosed(socket)
    expect(t.isActive).toBe(true)
  })
})

describe('ChannelSocket as the socket of node:http', () => {
  it('sends a POST to a local HTTP server with createConnection and reads the response', async () => {
    const seen: Array<{ method: string; url: string; body: string }> = []
    const server = http.createServer((req, res) => {
      collect(req).then((body) => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', body: body.toString() })
        res.writeHead(201, { 'content-type': 'text/plain', 'x-seen-length': String(body.length) })
        res.end(`got ${body.length} bytes for ${req.url}`)
      }, () => res.destroy())
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const port = (server.address() as net.AddressInfo).port
    try {
      await using t = await authenticatedTransport(sshd)
      const socket = await socketTo(t, port)
      const payload = Buffer.from(JSON.stringify({ hello: 'through ssh', n: 42 }))
      const res = await request(http, {
        host: '127.0.0.1',
        port,
        path: '/items?x=1',
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': payload.length },
        createConnection: () => socket,
      }, payload)
      expect(res.status).toBe(201)
      expect(res.headers['x-seen-length']).toBe(String(payload.length))
      expect(res.body.toString()).toBe(`got ${payload.length} bytes for /items?x=1`)
      expect(seen).toEqual([{ method: 'POST', url: '/items?x=1', body: payload.toString() }])
      expect(socket.bytesWritten).toBeGreaterThan(payload.length)
      expect(socket.bytesRead).toBeGreaterThan(0)
      // Without an agent node:http sends `Connection: close`: the server hangs up, the socket closes.
      await whenClosed(socket)
    } finally {
      server.closeAllConnections()
      server.close()
      await within(5_000, 'http server close', once(server, 'close'))
    }
  })
})

describe('Channel.asSocket()', () => {
  it('carries data already buffered on the Channel into the socket, then keeps streaming', async () => {
    const greeting = Buffer.from('220 greeting sent before anyone reads\r\n')
    await using server = await startTcpServer((sock) => {
      sock.write(greeting)
      sock.pipe(sock)
    })
    await using t = await authenticatedTransport(sshd)
    const ch = await t.openChannel('direct-tcpip', { dest: ['127.0.0.1', server.port] })
    // Nobody reads the channel yet: the greeting waits in its buffer.
    await waitFor(() => ch.readableLength >= greeting.length, { timeoutMs: 5_000, description: 'the greeting in the channel buffer' })
    const socket = ch.asSocket()
    expect(ch.destroyed).toBe(true)
    expect(socket.bytesRead).toBe(greeting.length)
    const payload = randomBytes(256 * 1024)
    const received: Buffer[] = []
    let total = 0
    const done = new Promise<void>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        received.push(chunk)
        total += chunk.length
        if (total >= greeting.length + payload.length) resolve()
      })
    })
    socket.write(payload)
    await within(10_000, 'echoed payload', done)
    const all = Buffer.concat(received)
    expect(all.subarray(0, greeting.length)).toEqual(greeting)
    expect(sha256(all.subarray(greeting.length))).toBe(sha256(payload))
    socket.end()
    await whenClosed(socket)
  })

  it('carries buffered data and the end of stream when the peer already closed', async () => {
    const farewell = Buffer.from('bye, and this was all\n')
    await using server = await startTcpServer((sock) => {
      sock.end(farewell)
    })
    await using t = await authenticatedTransport(sshd)
    const ch = await t.openChannel('direct-tcpip', { dest: ['127.0.0.1', server.port] })
    await waitFor(() => ch.readableLength >= farewell.length, { timeoutMs: 5_000, description: 'the farewell in the channel buffer' })
    await new Promise((resolve) => setTimeout(resolve, 100)) // let EOF and CLOSE arrive too
    const socket = ch.asSocket()
    expect(await within(5_000, 'socket contents', collect(socket))).toEqual(farewell)
    await whenClosed(socket)
  })
})

describe('direct-streamlocal@openssh.com', () => {
  let dir = ''
  let unixServer: net.Server | undefined
  const serverSockets = new Set<net.Socket>()
  let socketPath = ''
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'xssh-streamlocal-'))
    // The sshd session runs as the test user: it must reach and connect to the socket.
    await chmod(dir, 0o755)
    socketPath = join(dir, 'echo.sock')
    unixServer = net.createServer((sock) => {
      serverSockets.add(sock)
      sock.on('error', () => {})
      sock.on('close', () => serverSockets.delete(sock))
      sock.pipe(sock)
    })
    unixServer.listen(socketPath)
    await once(unixServer, 'listening')
    await chmod(socketPath, 0o777)
  })
  afterAll(async () => {
    for (const sock of serverSockets) sock.destroy()
    if (unixServer?.listening) {
      unixServer.close()
      await within(5_000, 'unix server close', once(unixServer, 'close'))
    }
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('echoes bytes through a channel to a Unix socket', async () => {
    await using t = await authenticatedTransport(sshd)
    const ch = await t.openChannel('direct-streamlocal@openssh.com', { dest: [socketPath] })
    expect(ch.kind).toBe('direct-streamlocal@openssh.com')
    const payload = randomBytes(1 << 20)
    const echoed = new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = []
      let total = 0
      ch.on('data', (chunk: Buffer) => {
        chunks.push(chunk)
        total += chunk.length
        if (total >= payload.length) resolve(Buffer.concat(chunks))
      })
    })
    ch.write(payload)
    const back = await within(15_000, 'echo over streamlocal', echoed)
    expect(back.length).toBe(payload.length)
    expect(sha256(back)).toBe(sha256(payload))
    ch.end()
    await whenClosed(ch)
  })

  it('works as a ChannelSocket too, naming the socket path as its remote address', async () => {
    await using t = await authenticatedTransport(sshd)
    const socket = (await t.openChannel('direct-streamlocal@openssh.com', { dest: [socketPath] })).asSocket()
    expect(socket.remoteAddress).toBe(socketPath)
    socket.write('ping\n')
    const [chunk] = (await within(5_000, 'echo', once(socket, 'data'))) as [Buffer]
    expect(chunk.toString()).toBe('ping\n')
    socket.destroy()
    await whenClosed(socket)
  })

  it('raises ChannelOpenError when nothing listens on the path', async () => {
    await using t = await authenticatedTransport(sshd)
    const err = await t.openChannel('direct-streamlocal@openssh.com', { dest: [join(dir, 'nobody.sock')] }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ChannelOpenError)
    expect((err as ChannelOpenError).code).toBe('ERR_SSH_CHANNEL_OPEN')
    expect((err as ChannelOpenError).reason).toBe(2) // SSH_OPEN_CONNECT_FAILED (RFC 4254 §5.1)
    expect(t.isActive).toBe(true)
  })
})

describe('closing the transport', () => {
  for (const how of ['close', 'destroy'] as const) {
    it(`${how}() destroys open ChannelSockets, read or not: they emit 'close' and writes fail`, async () => {
      const t = await authenticatedTransport(sshd)
      const reading = await socketTo(t, echo.port)
      reading.resume()
      const idle = await socketTo(t, echo.port) // nobody reads this one
      const stuck = await socketTo(t, echo.port) // nobody reads this one either, and it is full
      for (const socket of [reading, idle, stuck]) {
        socket.on('error', () => {})
        socket.write('round trip\n')
      }
      stuck.write(randomBytes(4 << 20))
      await within(5_000, 'echo', once(reading, 'data'))
      await waitFor(() => idle.readableLength > 0 && stuck.readableLength >= stuck.readableHighWaterMark, {
        timeoutMs: 5_000,
        description: 'echo on the unread sockets',
      })
      const started = Date.now()
      if (how === 'close') await within(5_000, 'close()', t.close())
      else t.destroy()
      await Promise.all([whenClosed(reading, 3_000), whenClosed(idle, 3_000), whenClosed(stuck, 3_000)])
      expect(Date.now() - started).toBeLessThan(3_000)
      for (const socket of [reading, idle, stuck]) {
        expect(socket.destroyed).toBe(true)
        expect(socket.readyState).toBe('closed')
        const writeError = await within(2_000, 'write callback', new Promise<Error | null | undefined>((resolve) => {
          socket.write('after close', (err) => resolve(err))
        }))
        expect(writeError).toBeInstanceOf(Error)
      }
      expect(t.isActive).toBe(false)
    })
  }

  it('closes a dozen sockets on one transport at once', async () => {
    const t = await authenticatedTransport(sshd)
    const sockets = await Promise.all(Array.from({ length: 12 }, () => socketTo(t, echo.port)))
    for (const socket of sockets) socket.on('error', () => {})
    await within(5_000, 'close()', t.close())
    await Promise.all(sockets.map((socket) => whenClosed(socket, 3_000)))
    expect(sockets.every((socket) => socket.destroyed)).toBe(true)
  })
})
