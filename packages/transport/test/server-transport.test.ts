import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { connect, createServer, Socket, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { clientKeys, generateKey, startEchoServer, type ClientKeys } from '@x/testbed'
import {
  AuthenticationError,
  knownHosts,
  loadPrivateKey,
  PublicKey,
  TimeoutError,
  Transport,
  type PrivateKey,
  type ServerInterface,
  type ServerRoleOptions,
} from '@x/transport'
import ssh2 from 'ssh2'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { collect, runCommand } from './helpers.js'

let keys: ClientKeys
let dir: string
let hostKey: PrivateKey
let hostLine: string
const cleanups: Array<() => Promise<unknown> | unknown> = []

beforeAll(async () => {
  keys = await clientKeys()
  dir = await mkdtemp(join(tmpdir(), 'srv-t-'))
  const host = await generateKey('ed25519', join(dir, 'host'), { comment: 'host' })
  hostKey = await loadPrivateKey(host.privatePath)
  hostLine = host.publicLine
})
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

function allowed(key: PublicKey): boolean {
  return keys.authorized.some((k) => PublicKey.parse(k.publicLine).equals(key))
}

/** A TCP listener running a Transport<'server'> per connection; `serve` gets each one after startServer. */
async function listen(make: (t: Transport<'server'>) => ServerInterface, options: ServerRoleOptions = {}, serve?: (t: Transport<'server'>) => void): Promise<{ port: number; transports: Transport<'server'>[] }> {
  const transports: Transport<'server'>[] = []
  const listener: Server = createServer((sock: Socket) => {
    const t = new Transport<'server'>(sock, { server: options })
    transports.push(t)
    t.addServerKey(hostKey)
    t.startServer(make(t)).catch(() => undefined)
    serve?.(t)
  })
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r))
  cleanups.push(async () => {
    for (const t of transports) t.destroy()
    await new Promise((r) => listener.close(r))
  })
  return { port: (listener.address() as { port: number }).port, transports }
}

/** Our own client, authenticated with the ed25519 test key, host key checked against a known_hosts file. */
async function client(port: number): Promise<Transport> {
  const file = join(dir, `known_hosts_${port}`)
  await writeFile(file, `[127.0.0.1]:${port} ${hostLine}\n`)
  const t = new Transport(`127.0.0.1:${port}`, { hostKeyVerifier: knownHosts({ files: [file] }), timeouts: { connectMs: 5_000, handshakeMs: 10_000, authMs: 10_000, channelMs: 10_000 } })
  cleanups.push(() => t.close())
  await t.startClient()
  expect(await t.authPublicKey('me', keys.ed25519.privateText)).toEqual([])
  return t
}

const base = (extra: Partial<ServerInterface> = {}): ServerInterface => ({
  checkAuthPublicKey: (_ctx, key) => (allowed(key) ? 'success' : 'failure'),
  checkChannelRequest: () => true,
  checkExecRequest: () => true,
  ...extra,
})

describe('Transport (server role) with our own client Transport over TCP', () => {
  it('runs exec with exit status and stderr', async () => {
    const { port } = await listen(() => base(), {}, (t) => {
      void (async () => {
        for (let ch = await t.accept(); ch; ch = await t.accept()) {
          ch.write(`ran ${ch.command}\n`)
          ch.stderr.write('err-out\n')
          ch.exit(42)
        }
      })()
    })
    const t = await client(port)
    const r = await runCommand(t, 'do-it')
    expect(r.stdout).toBe('ran do-it\n')
    expect(r.stderr).toBe('err-out\n')
    expect(r.code).toBe(42)
  })

  it('opens a direct-tcpip channel to a local echo server', async () => {
    const echo = await startEchoServer()
    cleanups.push(() => echo.close())
    const asked: Array<readonly [string, number]> = []
    const { port } = await listen(() => base({ checkDirectTcpip: (_o, dest) => (asked.push(dest), true) }), {}, (t) => {
      void (async () => {
        for (let ch = await t.accept(); ch; ch = await t.accept()) {
          if (ch.kind !== 'direct-tcpip') continue
          const [host, destPort] = ch.destination!
          const s = connect({ host, port: destPort, allowHalfOpen: true })
          s.on('error', () => ch.destroy())
          ch.pipe(s).pipe(ch)
        }
      })()
    })
    const t = await client(port)
    const ch = await t.openChannel('direct-tcpip', { dest: ['127.0.0.1', echo.port] })
    ch.end('hello through the tunnel')
    expect((await collect(ch)).toString()).toBe('hello through the tunnel')
    expect(asked).toEqual([['127.0.0.1', echo.port]])
  })

  it('answers tcpip-forward on port 0 with the bound port and forwards a connection back', async () => {
    const listeners: Server[] = []
    let server!: Transport<'server'>
    const { port } = await listen((t) => {
      server = t
      return base({
        checkPortForwardRequest: async (address) => {
          // Half-open, so the client's FIN does not end our side before the echo came back.
          const l = createServer({ allowHalfOpen: true }, (sock) => {
            void server.openForwardedTcpipChannel([address, (l.address() as { port: number }).port], [sock.remoteAddress ?? '', sock.remotePort ?? 0]).then(
              (ch) => sock.pipe(ch).pipe(sock),
              () => sock.destroy(),
            )
          })
          listeners.push(l)
          await new Promise<void>((r) => l.listen(0, '127.0.0.1', r))
          return (l.address() as { port: number }).port
        },
      })
    })
    cleanups.push(() => Promise.all(listeners.map((l) => new Promise((r) => l.close(r)))))
    const t = await client(port)
    const bound = await t.requestPortForward('127.0.0.1', 0, (ch) => ch.pipe(ch))
    expect(bound).toBeGreaterThan(0)
    expect(bound).toBe((listeners[0]!.address() as { port: number }).port)
    const sock = connect(bound, '127.0.0.1')
    sock.end('round trip')
    expect((await collect(sock)).toString()).toBe('round trip')
  })
})

describe('one Transport, two roles', () => {
  it('takes the role of its first start call and reports the session the same way in both roles', async () => {
    const seen: string[] = []
    const { port, transports } = await listen(() => base(), {}, (t) => {
      t.on('authenticated', (user) => seen.push(`server:${user}`))
      void t.accept().then((ch) => ch?.exit(0))
    })
    const probe = new Transport(`127.0.0.1:${port}`)
    expect(probe.role).toBeUndefined()
    const t = await client(port)
    expect(t.role).toBe('client')
    const server = transports[0]!
    expect(server.role).toBe('server')
    expect(server.isActive).toBe(true)
    expect(server.isAuthenticated).toBe(true)
    expect(server.username).toBe('me')
    expect(server.remoteVersion).toMatch(/^SSH-2\.0-/)
    expect(server.getServerKey()?.type).toBe('ssh-ed25519')
    expect(server.negotiated?.hostKey).toBe('ssh-ed25519')
    expect(server.bytesRead).toBeGreaterThan(0)
    expect(server.bytesWritten).toBeGreaterThan(0)
    expect(server.getpeername()[0]).toBe('127.0.0.1')
    expect(seen).toEqual(['server:me'])
    expect((await runCommand(t, 'x')).code).toBe(0)
    // Each role refuses the other's calls, with the base SSHError code.
    await expect(server.startClient()).rejects.toMatchObject({ code: 'ERR_SSH', message: expect.stringContaining('client role') })
    expect(() => t.addServerKey(hostKey)).toThrow(/server role/)
    expect(() => t.startServer(base())).toThrow(/server role/)
    expect(() => server.setKeepalive(1_000)).toThrow(/client role/)
    await server.renegotiateKeys()
    await server.close()
    expect(await server.wait()).toBeUndefined()
    expect(server.isActive).toBe(false)
  })

  it('emits authenticated in the client role too', async () => {
    const { port } = await listen(() => base())
    const file = join(dir, `known_hosts_${port}`)
    await writeFile(file, `[127.0.0.1]:${port} ${hostLine}\n`)
    const t = new Transport(`127.0.0.1:${port}`, { hostKeyVerifier: knownHosts({ files: [file] }) })
    cleanups.push(() => t.close())
    const users: string[] = []
    t.on('authenticated', (u) => users.push(u))
    await t.startClient()
    await t.authPublicKey('me', keys.ed25519.privateText)
    expect(users).toEqual(['me'])
  })

  it('refuses the server role over a dial target, without a host key, and twice', async () => {
    expect(() => new Transport('127.0.0.1:1').startServer(base())).toThrow(TypeError)
    const [a, b] = await socketPair()
    cleanups.push(() => { a.destroy(); b.destroy() })
    const t = new Transport<'server'>(a)
    expect(() => t.startServer(base())).toThrow(/host key/)
    t.addServerKey(hostKey)
    t.startServer(base()).catch(() => undefined)
    expect(() => t.startServer(base())).toThrow(/already/)
    expect(() => t.addServerKey(hostKey)).toThrow(/before startServer/)
    t.destroy()
    expect(await t.wait()).toBeUndefined()
  })

  it('validates the server group when the Transport is made', () => {
    const sock = new Socket()
    expect(() => new Transport(sock, { server: { maxAuthTries: 0 } })).toThrow(RangeError)
    expect(() => new Transport(sock, { server: { loginGraceMs: -1 } })).toThrow(RangeError)
    expect(() => new Transport(sock, { server: { serverVersion: 'has space' } })).toThrow(RangeError)
    sock.destroy()
  })
})

/** Two connected TCP sockets on loopback. */
async function socketPair(): Promise<[Socket, Socket]> {
  const l = createServer()
  await new Promise<void>((r) => l.listen(0, '127.0.0.1', r))
  const accepted = new Promise<Socket>((r) => l.once('connection', r))
  const a = connect((l.address() as { port: number }).port, '127.0.0.1')
  const b = await accepted
  l.close() // stops listening; the pair stays connected
  return [b, a]
}

describe('Transport (server role) limits', () => {
  it('closes an idle unauthenticated socket after the login grace time (TimeoutError, phase auth)', async () => {
    const { port, transports } = await listen(() => base(), { loginGraceMs: 300 })
    const started = Date.now()
    const sock = connect(port, '127.0.0.1')
    cleanups.push(() => sock.destroy())
    sock.on('error', () => undefined)
    sock.resume()
    await new Promise((r) => sock.once('close', r))
    const elapsed = Date.now() - started
    expect(elapsed).toBeGreaterThanOrEqual(250)
    expect(elapsed).toBeLessThan(3_000)
    const t = transports[0]!
    const err = await t.wait()
    expect(err).toBeInstanceOf(TimeoutError)
    expect((err as TimeoutError).phase).toBe('auth')
  })

  it('closes the connection after 6 wrong passwords (maxAuthTries)', async () => {
    const seen: string[] = []
    const closes: unknown[] = []
    const { port, transports } = await listen(
      () => ({ checkAuthPassword: (_ctx, pw) => (seen.push(pw), 'failure') }),
      {},
      (t) => t.on('close', (e) => closes.push(e)),
    )
    let tries = 0
    const outcome = await new Promise<string>((resolve) => {
      const c = new ssh2.Client()
      c.on('ready', () => resolve('accepted'))
      c.on('error', (e: Error) => resolve(`error: ${e.message}`))
      c.on('close', () => resolve('closed'))
      c.connect({
        host: '127.0.0.1', port, username: 'me', hostVerifier: () => true,
        authHandler: (_m: unknown, _p: unknown, next: (a: unknown) => void) => (++tries <= 7 ? next({ type: 'password', username: 'me', password: `wrong-${tries}` }) : next(false)),
      } as never)
    })
    expect(outcome).not.toBe('accepted')
    expect(seen).toEqual(['wrong-1', 'wrong-2', 'wrong-3', 'wrong-4', 'wrong-5', 'wrong-6'])
    const err = await transports[0]!.wait()
    expect(err).toBeInstanceOf(AuthenticationError)
    expect(closes).toEqual([err])
  })
  it('counts a forged publickey signature as a failed attempt (maxAuthTries 1 closes) without asking the handler for it', async () => {
    const signedAsked: string[] = []
    const { port, transports } = await listen(() => ({ checkAuthPublicKey: (_ctx, key) => (signedAsked.push(key.fingerprint), allowed(key) ? 'success' : 'failure') }), { maxAuthTries: 1 })
    const victim = ssh2.utils.parseKey(keys.ed25519.privateText) as ssh2.ParsedKey
    const forger = ssh2.utils.parseKey(keys.unauthorized.privateText) as ssh2.ParsedKey
    const forged = Object.create(victim, { sign: { value: (d: Buffer, a?: string) => forger.sign(d, a) } }) as ssh2.ParsedKey
    let offered = 0
    const outcome = await new Promise<string>((resolve) => {
      const c = new ssh2.Client()
      c.on('ready', () => resolve('accepted'))
      c.on('error', () => resolve('refused'))
      c.on('close', () => resolve('closed'))
      c.connect({ host: '127.0.0.1', port, username: 'me', hostVerifier: () => true, authHandler: (_m: unknown, _p: unknown, next: (a: unknown) => void) => (offered++ === 0 ? next({ type: 'publickey', username: 'me', key: forged }) : next(false)) } as never)
    })
    expect(outcome).not.toBe('accepted')
    const err = await transports[0]!.wait()
    // The one allowed attempt was the forgery: the connection ends for too many failures.
    expect(err).toBeInstanceOf(AuthenticationError)
    expect(transports[0]!.forgedSignatures).toBe(1)
    // Only the unsigned query (PK_OK) reached the handler.
    expect(signedAsked).toHaveLength(1)
  })
})

describe('Transport (server role) answers every want-reply request', () => {
  it('answers an env request with want-reply sent after exec started', async () => {
    const { port } = await listen(() => base({ checkEnvRequest: () => true }), {}, (t) => {
      void (async () => {
        for (let ch = await t.accept(); ch; ch = await t.accept()) {
          ch.resume()
          ch.once('end', () => ch.exit(0))
        }
      })()
    })
    const reply = await new Promise<string>((resolve, reject) => {
      const c = new ssh2.Client()
      cleanups.push(() => c.end())
      c.on('error', reject)
      c.on('ready', () => {
        c.exec('sleep', (err, ch) => {
          if (err) return reject(err)
          const raw = ch as unknown as { _callbacks: Array<(failed: boolean) => void>; outgoing: { id: number } }
          const proto = (c as unknown as { _protocol: { env(id: number, k: string, v: string, wantReply: boolean): void } })._protocol
          raw._callbacks.push((failed) => {
            resolve(failed ? 'failure' : 'success')
            ch.end()
          })
          proto.env(raw.outgoing.id, 'LATE', '1', true)
        })
      })
      c.connect({ host: '127.0.0.1', port, username: 'me', privateKey: keys.ed25519.privateText, hostVerifier: () => true })
    })
    // After exec started an env change cannot apply: refused, but answered.
    expect(reply).toBe('failure')
  })
})
