import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import tls from 'node:tls'
import { promisify } from 'node:util'
import { Client, type ClientChannel } from 'ssh2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ChannelDuplex, type RawChannel } from '../src/channel-duplex.js'
import { ChannelSocket, type ChannelSocketInfo } from '../src/channel-socket.js'

// Every test here runs over a real OpenSSH sshd started by this file, through direct-tcpip
// channels to servers on loopback.

const run = promisify(execFile)
const SSHD = '/usr/sbin/sshd'

let dir = ''
let sshd: ChildProcess | undefined
let sshdLog = ''
let client: Client | undefined
const servers: net.Server[] = []
let echoPort = 0
let httpPort = 0
let silentPort = 0
let httpsPort = 0
let caCert = ''
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

async function freePort(): Promise<number> {
  const srv = net.createServer()
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  const port = (srv.address() as net.AddressInfo).port
  srv.close()
  await once(srv, 'close')
  return port
}

async function listen(server: net.Server): Promise<number> {
  servers.push(server)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return (server.address() as net.AddressInfo).port
}

/** Waits until sshd answers with its version banner. */
async function waitForBanner(port: number, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1')
      s.once('data', (d) => {
        s.destroy()
        resolve(d.toString('latin1').startsWith('SSH-'))
      })
      s.once('error', () => resolve(false))
      s.once('close', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > deadline || sshd?.exitCode !== null) throw new Error(`sshd did not start:\n${sshdLog}`)
    await delay(50)
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'channel-socket-'))
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'host', '-f', join(dir, 'host_key')])
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'client', '-f', join(dir, 'client_key')])
  await writeFile(join(dir, 'authorized_keys'), await readFile(join(dir, 'client_key.pub')), { mode: 0o600 })
  const sshPort = await freePort()
  await writeFile(
    join(dir, 'sshd_config'),
    [
      `ListenAddress 127.0.0.1:${sshPort}`,
      `HostKey ${join(dir, 'host_key')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'StrictModes no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'AllowTcpForwarding yes',
      'SetEnv SHLVL=1',
      '',
    ].join('\n'),
  )
  await mkdir('/run/sshd', { recursive: true })
  sshd = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] })
  sshd.stderr?.setEncoding('utf8').on('data', (d: string) => {
    sshdLog = (sshdLog + d).slice(-8192)
  })
  await waitForBanner(sshPort, 10_000)

  // Loopback targets: echo, HTTP, an HTTP server that never answers, HTTPS with a fresh cert.
  echoPort = await listen(
    net.createServer((s) => {
      echoSockets.push(s)
      s.on('error', () => {})
      s.pipe(s)
    }),
  )
  httpPort = await listen(
    http.createServer((req, res) => {
      res.setHeader('content-type', 'text/plain')
      res.end(`hello ${req.url ?? ''}`)
    }),
  )
  silentPort = await listen(http.createServer(() => {}))
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost', '-days', '2',
    '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt'),
  ])
  caCert = await readFile(join(dir, 'tls.crt'), 'utf8')
  httpsPort = await listen(
    https.createServer({ key: await readFile(join(dir, 'tls.key')), cert: caCert }, (req, res) => {
      res.end(`secure ${req.url ?? ''}`)
    }),
  )

  const hostKey = Buffer.from((await readFile(join(dir, 'host_key.pub'), 'utf8')).split(' ')[1] ?? '', 'base64')
  const privateKey = await readFile(join(dir, 'client_key'))
  const c = new Client()
  client = c
  c.on('error', () => {})
  await within(
    15_000,
    'ssh connect',
    new Promise<void>((resolve, reject) => {
      c.once('ready', resolve)
      c.once('error', reject)
      c.connect({
        host: '127.0.0.1',
        port: sshPort,
        username: 'root',
        privateKey,
        hostVerifier: (key: Buffer) => key.equals(hostKey),
        readyTimeout: 10_000,
      })
    }),
  )
}, 60_000)

afterAll(async () => {
  if (client) {
    const closed = once(client, 'close')
    client.end()
    await within(5_000, 'ssh client close', closed).catch(() => client?.destroy())
  }
  for (const s of echoSockets) s.destroy()
  for (const srv of servers) {
    if (srv instanceof http.Server) srv.closeAllConnections()
    srv.close()
  }
  await Promise.all(servers.map((srv) => (srv.listening ? once(srv, 'close') : undefined)))
  if (sshd && sshd.exitCode === null && sshd.signalCode === null) {
    const exited = once(sshd, 'exit')
    sshd.kill('SIGTERM')
    await within(5_000, 'sshd exit', exited).catch(() => sshd?.kill('SIGKILL'))
  }
  if (dir) await rm(dir, { recursive: true, force: true })
})

function info(port: number): ChannelSocketInfo {
  return { remoteAddress: '127.0.0.1', remotePort: port, localAddress: '127.0.0.1', localPort: 0 }
}

function openChannel(port: number): Promise<ClientChannel> {
  return within(
    10_000,
    'forwardOut',
    new Promise((resolve, reject) => {
      if (!client) return reject(new Error('no ssh client'))
      client.forwardOut('127.0.0.1', 0, '127.0.0.1', port, (err, ch) => (err ? reject(err) : resolve(ch)))
    }),
  )
}

async function openSocket(port: number, extra: Partial<ChannelSocketInfo> = {}): Promise<ChannelSocket> {
  return new ChannelSocket(await openChannel(port), { ...info(port), ...extra })
}

/** Opens an echo channel and returns the socket with the echo server's side of the connection. */
async function openEcho(): Promise<{ sock: ChannelSocket; server: net.Socket }> {
  const accepted = echoSockets.length
  const sock = await openSocket(echoPort)
  await within(5_000, 'echo accept', (async () => {
    while (echoSockets.length <= accepted) await delay(5)
  })())
  const server = echoSockets[accepted]
  if (!server) throw new Error('echo server did not accept')
  return { sock, server }
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

/** A ChannelDuplex a test can attach by hand, standing in for `Channel`. */
class PlainChannel extends ChannelDuplex {
  constructor(inner: RawChannel) {
    super()
    this.attach(inner)
  }
}

/** A ChannelSocket whose channel arrives after construction. */
class LateSocket extends ChannelSocket {
  attachLater(inner: RawChannel): void {
    this.attach(inner)
  }
}

describe('ChannelSocket over a real sshd', () => {
  it('carries an HTTPS request through tls.connect({ socket }) with certificate verification on', async () => {
    const sock = await openSocket(httpsPort)
    const tlsSock = tls.connect({ socket: sock, ca: caCert, servername: 'localhost' })
    const body = await within(10_000, 'https request', new Promise<string>((resolve, reject) => {
      const req = https.request(
        { host: 'localhost', path: '/tls', createConnection: () => tlsSock },
        (res) => {
          let text = ''
          res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve(text))
        },
      )
      req.on('error', reject)
      req.end()
    }))
    expect(body).toBe('secure /tls')
    expect(tlsSock.authorized).toBe(true)
    await within(5_000, 'tls socket close', whenClosed(tlsSock))
    await within(5_000, 'channel socket close', whenClosed(sock))
  })

  it('refuses the HTTPS server when the certificate is not trusted', async () => {
    const sock = await openSocket(httpsPort)
    const tlsSock = tls.connect({ socket: sock, servername: 'localhost' })
    const [err] = (await within(10_000, 'tls error', once(tlsSock, 'error'))) as [NodeJS.ErrnoException]
    expect(err.code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT')
    await within(5_000, 'channel socket close', whenClosed(sock))
  })

  it('serves as http.request({ createConnection }) and is destroyed when the response ends', async () => {
    const sock = await openSocket(httpPort)
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
    const sock = await openSocket(silentPort)
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
    const sock = await openSocket(echoPort)
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

  it('reports addresses, families and address() from the channel info', async () => {
    const sock = await openSocket(echoPort, { localAddress: '::1', localPort: 4242 })
    expect(sock.remoteAddress).toBe('127.0.0.1')
    expect(sock.remotePort).toBe(echoPort)
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
    const sock = await openSocket(echoPort, { ref: () => calls.push('ref'), unref: () => calls.push('unref') })
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
    const late = new LateSocket(undefined, info(echoPort))
    expect(late.readyState).toBe('opening')
    expect(late.connecting).toBe(true)
    expect(late.pending).toBe(true)
    const connected = once(late, 'connect')
    late.write('queued before attach')
    late.attachLater(await openChannel(echoPort))
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
    const late = new LateSocket(undefined, info(echoPort))
    late.destroy()
    const accepted = echoSockets.length
    late.attachLater(await openChannel(echoPort))
    await within(5_000, 'echo accept', (async () => {
      while (echoSockets.length <= accepted) await delay(5)
    })())
    const server = echoSockets[accepted]
    if (!server) throw new Error('echo server did not accept')
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
    const channel = new PlainChannel(await openChannel(echoPort))
    channel.write('unread')
    await within(5_000, 'buffered echo', (async () => {
      while (channel.readableLength < 6) await delay(5)
    })())
    const sock = ChannelSocket.fromChannel(channel, info(echoPort))
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
