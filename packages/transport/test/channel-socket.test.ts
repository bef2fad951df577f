import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import http from 'node:http'
import https from 'node:https'
import type net from 'node:net'
import tls from 'node:tls'
import {
  startSilentServer,
  startSshd,
  startTcpServer,
  startTlsHttpsServer,
  waitFor,
  type HttpsServerHandle,
  type SshdHandle,
  type TcpServerHandle,
} from '@x/testbed'
import type { Channel, Transport } from '@x/transport'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ChannelDuplex } from '../src/channel-duplex.js'
import { ChannelSocket, type ChannelSocketInfo } from '../src/channel-socket.js'
import { authenticatedTransport } from './helpers.js'

// Every test here runs over the test bed's OpenSSH sshd, through direct-tcpip channels that a
// Transport opens to servers on loopback.

let sshd: SshdHandle
let t: Transport
let echo: TcpServerHandle
let plainHttp: TcpServerHandle
let silent: TcpServerHandle
let secure: HttpsServerHandle
/** Server-side sockets of the echo server, in accept order. */
const echoSockets: net.Socket[] = []

/** Fails with a message after `ms`, so no test can hang. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms)
  })
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer))
}

/** Resolves once `stream` has emitted 'close' (at once if it already has). */
function whenClosed(stream: net.Socket | ChannelSocket): Promise<void> {
  return stream.closed ? Promise.resolve() : once(stream, 'close').then(() => undefined)
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

beforeAll(async () => {
  // Loopback targets: echo (keeping its server-side sockets), HTTP, a server that never
  // answers, HTTPS with a fresh self-signed certificate.
  const httpHandler = http.createServer((req, res) => {
    res.setHeader('content-type', 'text/plain')
    res.end(`hello ${req.url ?? ''}`)
  })
  ;[sshd, echo, plainHttp, silent, secure] = await Promise.all([
    startSshd(),
    startTcpServer((s) => {
      echoSockets.push(s)
      s.pipe(s)
    }),
    // The test bed owns the listener and its connections; node:http only parses.
    startTcpServer((s) => httpHandler.emit('connection', s)),
    startSilentServer(),
    startTlsHttpsServer(),
  ])
  t = await authenticatedTransport(sshd)
})

afterAll(async () => {
  await t?.close()
  await Promise.all([echo?.close(), plainHttp?.close(), silent?.close(), secure?.close()])
  await sshd?.close()
})

function info(port: number): ChannelSocketInfo {
  return { remoteAddress: '127.0.0.1', remotePort: port, localAddress: '127.0.0.1', localPort: 0 }
}

/** Opens a direct-tcpip channel to 127.0.0.1:`port` through the Transport. */
function openChannel(port: number, src?: readonly [string, number]): Promise<Channel> {
  return within(10_000, 'openChannel', t.openChannel('direct-tcpip', { dest: ['127.0.0.1', port], ...(src ? { src } : {}) }))
}

/** Opens a channel and moves it into a socket with `Channel.asSocket()`. */
async function openSocket(port: number): Promise<ChannelSocket> {
  return (await openChannel(port)).asSocket()
}

/** Waits until the echo server accepted connection number `index` and returns its side. */
async function echoServerSocket(index: number): Promise<net.Socket> {
  await waitFor(() => echoSockets.length > index, { timeoutMs: 5_000, intervalMs: 5, description: 'echo accept' })
  return echoSockets[index]!
}

/** Opens an echo channel and returns the socket with the echo server's side of the connection. */
async function openEcho(): Promise<{ sock: ChannelSocket; server: net.Socket }> {
  const accepted = echoSockets.length
  const sock = await openSocket(echo.port)
  return { sock, server: await echoServerSocket(accepted) }
}

async function readSome(sock: ChannelSocket, bytes: number): Promise<Buffer> {
  const parts: Buffer[] = []
  let n = 0
  await within(5_000, 'read', new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      sock.off('data', onData)
      sock.off('error', onError)
      sock.pause()
    }
    const onData = (d: Buffer): void => {
      parts.push(d)
      n += d.length
      if (n < bytes) return
      cleanup()
      resolve()
    }
    const onError = (e: Error): void => {
      cleanup()
      reject(e)
    }
    sock.on('data', onData)
    sock.on('error', onError)
    sock.resume() // adding a 'data' listener does not restart a paused stream
  }))
  return Buffer.concat(parts)
}

async function closeSocket(sock: ChannelSocket): Promise<void> {
  if (sock.closed) return
  const closed = once(sock, 'close')
  sock.destroy()
  await within(5_000, 'socket close', closed)
}

/**
 * A ChannelSocket whose channel arrives after construction: it takes over the ssh2 channel of
 * an open `Channel` (adoptFrom), which attaches it exactly as a late-opening channel would.
 */
class LateSocket extends ChannelSocket {
  attachLater(channel: Channel): void {
    this.adoptFrom(channel)
  }
}

describe('ChannelSocket over a real sshd', () => {
  it('carries an HTTPS request through tls.connect({ socket }) with certificate verification on', async () => {
    const sock = await openSocket(secure.port)
    const tlsSock = tls.connect({ socket: sock, ca: secure.ca, servername: 'localhost' })
    const body = await within(10_000, 'https request', new Promise<string>((resolve, reject) => {
      const req = https.request(
        { host: 'localhost', path: '/', createConnection: () => tlsSock },
        (res) => {
          let text = ''
          res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve(text))
        },
      )
      req.on('error', reject)
      req.end()
    }))
    expect(body).toBe(secure.body)
    expect(tlsSock.authorized).toBe(true)
    await within(5_000, 'tls socket close', whenClosed(tlsSock))
    await within(5_000, 'channel socket close', whenClosed(sock))
  })

  it('refuses the HTTPS server when the certificate is not trusted', async () => {
    const sock = await openSocket(secure.port)
    const tlsSock = tls.connect({ socket: sock, servername: 'localhost' })
    const [err] = (await within(10_000, 'tls error', once(tlsSock, 'error'))) as [NodeJS.ErrnoException]
    expect(err.code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT')
    await within(5_000, 'channel socket close', whenClosed(sock))
  })

  it('serves as http.request({ createConnection }) and is destroyed when the response ends', async () => {
    const sock = await openSocket(plainHttp.port)
    const body = await within(10_000, 'http request', new Promise<string>((resolve, reject) => {
      const req = http.request({ path: '/plain', createConnection: () => sock }, (res) => {
        let text = ''
        res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve(text))
      })
      req.on('error', reject)
      req.end()
    }))
    expect(body).toBe('hello /plain')
    await within(5_000, 'socket close', whenClosed(sock))
    expect(sock.readyState).toBe('closed')
  })

  it("fires http's req.setTimeout against a server that never answers", async () => {
    const sock = await openSocket(silent.port)
    const started = Date.now()
    const outcome = await within(10_000, 'request timeout', new Promise<string>((resolve) => {
      const req = http.request({ path: '/never', createConnection: () => sock }, () => resolve('response'))
      req.setTimeout(300, () => {
        resolve('timeout')
        req.destroy()
      })
      req.on('error', () => {})
      req.end()
    }))
    expect(outcome).toBe('timeout')
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
    await within(5_000, 'socket close', whenClosed(sock))
  })

  it('echoes 16 MiB byte-exact with backpressure and counts bytesRead/bytesWritten', async () => {
    const { sock } = await openEcho()
    const total = 16 * 1024 * 1024
    const data = randomBytes(total)
    const sent = createHash('sha256').update(data).digest('hex')
    const got = createHash('sha256')
    let received = 0
    sock.on('data', (d: Buffer) => {
      got.update(d)
      received += d.length
    })
    const ended = once(sock, 'end')
    let sawBackpressure = false
    const chunk = 64 * 1024
    await within(60_000, 'write 16 MiB', (async () => {
      for (let off = 0; off < total; off += chunk) {
        if (!sock.write(data.subarray(off, off + chunk))) {
          sawBackpressure = true
          await once(sock, 'drain')
        }
      }
      sock.end()
      await ended
    })())
    expect(sawBackpressure).toBe(true)
    expect(received).toBe(total)
    expect(got.digest('hex')).toBe(sent)
    expect(sock.bytesWritten).toBe(total)
    expect(sock.bytesRead).toBe(total)
    await within(5_000, 'socket close', whenClosed(sock))
  }, 90_000)

  it("emits 'timeout' after the idle period, without destroying the socket", async () => {
    const { sock } = await openEcho()
    const started = Date.now()
    const fired = new Promise<number>((resolve) => sock.setTimeout(200, () => resolve(Date.now() - started)))
    expect(sock.timeout).toBe(200)
    const elapsed = await within(5_000, 'idle timeout', fired)
    expect(elapsed).toBeGreaterThanOrEqual(190)
    expect(sock.destroyed).toBe(false)
    expect(sock.readyState).toBe('open')
    // Activity re-arms the timer: it fires again after the next idle period.
    sock.write('x')
    expect((await readSome(sock, 1)).toString()).toBe('x')
    await within(5_000, 'second idle timeout', once(sock, 'timeout'))
    await closeSocket(sock)
  })

  it("does not emit 'timeout' while data flows, and not at all after setTimeout(0)", async () => {
    const { sock } = await openEcho()
    let timeouts = 0
    sock.on('timeout', () => timeouts++)
    sock.on('data', () => {})
    sock.setTimeout(300)
    for (let i = 0; i < 20; i++) {
      sock.write('ping')
      await delay(50)
    }
    expect(timeouts).toBe(0)
    await within(5_000, 'idle after activity', once(sock, 'timeout'))
    expect(timeouts).toBe(1)
    sock.write('again')
    sock.setTimeout(0)
    expect(sock.timeout).toBe(0)
    await delay(500)
    expect(timeouts).toBe(1)
    await closeSocket(sock)
  })

  it("emits 'connect' then 'ready' on the next tick, and again (once) for connect()", async () => {
    const sock = await openSocket(echo.port)
    expect(sock.connecting).toBe(false)
    expect(sock.pending).toBe(false)
    const events: string[] = []
    sock.on('connect', () => events.push('connect'))
    sock.on('ready', () => events.push('ready'))
    expect(events).toEqual([])
    await new Promise((resolve) => process.nextTick(resolve))
    expect(events).toEqual(['connect', 'ready'])

    // pg 8 calls stream.connect(port, host) and then waits for 'connect'.
    let called = 0
    expect(sock.connect(5432, 'db', () => called++)).toBe(sock)
    sock.connect(5432, 'db')
    expect(called).toBe(0)
    await delay(10)
    expect(called).toBe(1)
    expect(events).toEqual(['connect', 'ready', 'connect', 'ready'])
    await closeSocket(sock)
    expect(() => sock.connect(1)).toThrow(expect.objectContaining({ code: 'ERR_SSH_CONNECTION_LOST' }))
  })

  it('reports addresses, families and address() from the channel open request', async () => {
    // The originator announced in the direct-tcpip open (RFC 4254 §7.2) becomes the local end.
    const sock = (await openChannel(echo.port, ['::1', 4242])).asSocket()
    expect(sock.remoteAddress).toBe('127.0.0.1')
    expect(sock.remotePort).toBe(echo.port)
    expect(sock.remoteFamily).toBe('IPv4')
    expect(sock.localAddress).toBe('::1')
    expect(sock.localPort).toBe(4242)
    expect(sock.localFamily).toBe('IPv6')
    expect(sock.address()).toEqual({ address: '::1', family: 'IPv6', port: 4242 })
    expect(new ChannelSocket(undefined, {}).destroy().address()).toEqual({})
    expect(sock.setNoDelay(true)).toBe(sock)
    expect(sock.setKeepAlive(true, 1000)).toBe(sock)
    await closeSocket(sock)
  })

  it('forwards ref()/unref() transitions to the info callbacks, balanced at close', async () => {
    const calls: string[] = []
    const channel = await openChannel(echo.port)
    const sock = ChannelSocket.fromChannel(channel, { ...info(echo.port), ref: () => calls.push('ref'), unref: () => calls.push('unref') })
    expect(sock.ref()).toBe(sock)
    expect(calls).toEqual([])
    expect(sock.unref()).toBe(sock)
    sock.unref()
    expect(calls).toEqual(['unref'])
    sock.ref()
    sock.unref()
    expect(calls).toEqual(['unref', 'ref', 'unref'])
    await closeSocket(sock)
    expect(calls).toEqual(['unref', 'ref', 'unref', 'ref'])
  })

  it('moves readyState from opening to open, readOnly and closed', async () => {
    const late = new LateSocket(undefined, info(echo.port))
    expect(late.readyState).toBe('opening')
    expect(late.connecting).toBe(true)
    expect(late.pending).toBe(true)
    const connected = once(late, 'connect')
    late.write('queued before attach')
    late.attachLater(await openChannel(echo.port))
    await within(5_000, 'late connect', connected)
    expect(late.connecting).toBe(false)
    expect(late.readyState).toBe('open')
    expect((await readSome(late, 20)).toString()).toBe('queued before attach')
    expect(late.bytesWritten).toBe(20)

    late.end()
    expect(late.readyState).toBe('readOnly')
    late.resume()
    await within(5_000, 'close after both ends', once(late, 'close'))
    expect(late.readyState).toBe('closed')

    const never = new ChannelSocket(undefined, {})
    never.destroy()
    expect(never.connecting).toBe(false)
    expect(never.readyState).toBe('closed')
  })

  it('frees the channel on destroy(): the echo server sees its TCP connection close', async () => {
    const { sock, server } = await openEcho()
    sock.write('hello')
    expect((await readSome(sock, 5)).toString()).toBe('hello')
    const serverClosed = once(server, 'close')
    sock.destroy()
    expect(sock.readyState).toBe('closed')
    await within(5_000, 'server side close', serverClosed)
  })

  it('frees a channel that is attached after the socket was destroyed', async () => {
    const late = new LateSocket(undefined, info(echo.port))
    late.destroy()
    const accepted = echoSockets.length
    const channel = await openChannel(echo.port)
    const server = await echoServerSocket(accepted)
    late.attachLater(channel)
    expect(channel.destroyed).toBe(true)
    await within(5_000, 'server side close', whenClosed(server))
  })

  it('resetAndDestroy() closes the channel and the target connection', async () => {
    const { sock, server } = await openEcho()
    const serverClosed = once(server, 'close')
    expect(sock.resetAndDestroy()).toBe(sock)
    expect(sock.destroyed).toBe(true)
    await within(5_000, 'server side close', serverClosed)
  })

  it('destroySoon() flushes queued data, then destroys', async () => {
    const { sock, server } = await openEcho()
    const echoed: Buffer[] = []
    server.on('data', (d: Buffer) => echoed.push(d))
    sock.write('last words')
    sock.destroySoon()
    expect(sock.writable).toBe(false)
    await within(5_000, 'socket close', once(sock, 'close'))
    await within(5_000, 'server side close', whenClosed(server))
    expect(Buffer.concat(echoed).toString()).toBe('last words')
  })

  it('fails a write after the peer ended with EPIPE, as net.Socket does', async () => {
    const { sock, server } = await openEcho()
    sock.on('data', () => {})
    const ended = once(sock, 'end')
    server.destroy()
    await within(5_000, 'end after remote close', ended)
    const err = await within(5_000, 'write error', new Promise<NodeJS.ErrnoException>((resolve) => {
      sock.once('error', () => {})
      sock.write('too late', (e) => resolve(e as NodeJS.ErrnoException))
    }))
    expect(err).toBeInstanceOf(Error)
    expect(err.code).toBe('EPIPE') // net.Socket's code for a write after the peer ended
    expect(sock.destroyed).toBe(true)
    await within(5_000, 'socket close', whenClosed(sock))
  })

  it('fails writes with ConnectionLostError once the peer closed, even while nothing reads', async () => {
    const { sock, server } = await openEcho()
    const serverClosed = once(server, 'close')
    server.destroy()
    await serverClosed
    const errored = new Promise<NodeJS.ErrnoException>((resolve) => sock.once('error', resolve))
    // sshd notices the dead target only when it writes to it: keep writing until the channel closes.
    const err = await within(5_000, 'write error', (async () => {
      for (;;) {
        const result = await Promise.race([errored, delay(20).then(() => undefined)])
        if (result) return result
        if (sock.destroyed) return errored
        sock.write(Buffer.alloc(1024))
      }
    })())
    expect(err).toBeInstanceOf(Error)
    expect(err.code).toBe('ERR_SSH_CONNECTION_LOST')
    await within(5_000, 'socket close', whenClosed(sock))
  })

  it('fails a write blocked on the SSH window when the remote side closes', async () => {
    const { sock, server } = await openEcho()
    server.unpipe(server)
    server.pause() // the echo server stops reading: kernel buffers, sshd and the SSH window fill up
    const chunk = Buffer.alloc(64 * 1024)
    for (let i = 0; i < 512; i++) sock.write(chunk) // 32 MiB, far more than all of those hold
    await delay(500)
    expect(sock.writableLength).toBeGreaterThan(0)
    const stuck = sock.bytesWritten
    await delay(200)
    expect(sock.bytesWritten).toBe(stuck)
    const errored = new Promise<NodeJS.ErrnoException>((resolve) => sock.once('error', resolve))
    server.destroy()
    const err = await within(10_000, 'blocked write error', errored)
    expect(err.code).toBe('ERR_SSH_CONNECTION_LOST')
    await within(5_000, 'socket close', whenClosed(sock))
  })

  it('fromChannel() moves an open channel with its unread data into a socket', async () => {
    const accepted = echoSockets.length
    const channel = await openChannel(echo.port)
    channel.write('unread')
    await within(5_000, 'buffered echo', (async () => {
      while (channel.readableLength < 6) await delay(5)
    })())
    const sock = ChannelSocket.fromChannel(channel, info(echo.port))
    expect(channel.destroyed).toBe(true)
    expect(sock.readyState).toBe('open')
    await within(5_000, 'connect', once(sock, 'connect'))
    expect((await readSome(sock, 6)).toString()).toBe('unread')
    sock.write('more')
    expect((await readSome(sock, 4)).toString()).toBe('more')
    expect(sock.bytesRead).toBe(10)
    expect(sock.bytesWritten).toBe(4)
    const server = echoSockets[accepted]
    await closeSocket(sock)
    if (server && !server.closed) await within(5_000, 'server side close', once(server, 'close'))
  })

  it('fromChannel() refuses a channel that is not open yet', () => {
    const unopened = new ChannelDuplex()
    expect(() => ChannelSocket.fromChannel(unopened)).toThrow(/not open/)
    unopened.destroy()
  })
})
