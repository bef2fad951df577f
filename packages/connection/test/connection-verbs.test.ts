import { createHash, randomBytes } from 'node:crypto'
import { readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { get as httpGet, request as httpRequest } from 'node:http'
import { connect as netConnect } from 'node:net'
import { join } from 'node:path'
import { connect as tlsConnect } from 'node:tls'
import { signalEach, startEchoServer, startSshd, startTlsHttpsServer, testUser, testUserTempDir, type SshdHandle } from '@x/testbed'
import { ConnectError, ConnectionLostError, TimeoutError, type Connection } from '@x/connection'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectionTo } from './helpers.js'
import { settledWithin } from './settle-within.js'
import { killConnections } from '@x/testbed'

let sshd: SshdHandle
let c: Connection
let dir: string
beforeAll(async () => {
  sshd = await startSshd()
  c = connectionTo(sshd)
  dir = await testUserTempDir('verbs-')
})
afterAll(async () => {
  await c?.close()
  await sshd?.close()
  await rm(dir, { recursive: true, force: true })
})

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex')

async function body(res: NodeJS.ReadableStream): Promise<string> {
  let text = ''
  for await (const chunk of res) text += String(chunk)
  return text
}

describe('Connection.put/get', () => {
  it('uploads and downloads byte-exact with progress reaching the total', async () => {
    const data = randomBytes(3 << 20)
    const local = join(dir, 'local.bin')
    await writeFile(local, data, { mode: 0o640 })
    const seen: number[] = []
    await c.put(local, `${dir}/remote.bin`, { onProgress: (bytes) => seen.push(bytes) })
    expect(seen.at(-1)).toBe(data.length)
    const back = join(dir, 'back.bin')
    await c.get(`${dir}/remote.bin`, back)
    expect(sha(await readFile(back))).toBe(sha(data))
    expect((await c.sftp()).isOpen).toBe(true)
  })
})

describe('Connection.put is all-or-nothing', () => {
  it('leaves nothing under the target name when the session dies mid-upload: ConnectionLostError, only the temporary file remains', async () => {
    await using victim = await startSshd()
    const own = connectionTo(victim)
    const local = join(dir, 'lost-source.bin')
    await writeFile(local, randomBytes(64 << 20))
    let killed: Promise<number> | undefined
    try {
      const err = await own.put(local, `${dir}/lost-upload.bin`, {
        onProgress: (bytes) => void (bytes >= 8 << 20 && (killed ??= killConnections(victim))),
      }).catch((e: unknown) => e)
      expect(await killed).toBeGreaterThan(0)
      expect(err).toBeInstanceOf(ConnectionLostError)
      const names = await readdir(dir)
      expect(names).not.toContain('lost-upload.bin')
      // Nothing could remove it once the connection was gone (the error names it).
      expect(names.filter((n) => n.startsWith('.lost-upload.bin.') && n.endsWith('.part'))).toHaveLength(1)
    } finally {
      await own.close()
    }
  })

  it("expands '~/' and creates missing parents with mkdirs through Connection.put and get", async () => {
    const home = (await testUser()).home
    const sub = `xfer-verbs-${process.pid}`
    try {
      const sent = await c.put(Buffer.from('deep'), `~/${sub}/a/b.txt`, { mkdirs: true })
      expect(sent.remotePath).toBe(join(home, sub, 'a', 'b.txt'))
      const back = join(dir, 'tilde-back.txt')
      await c.get(`~/${sub}/a/b.txt`, back)
      expect(await readFile(back, 'utf8')).toBe('deep')
    } finally {
      await rm(join(home, sub), { recursive: true, force: true })
    }
  })
})

describe('Connection.forwardLocal/forwardRemote', () => {
  it('forwards a local port through the server and closes with the connection', async () => {
    await using echo = await startEchoServer()
    const own = connectionTo(sshd)
    const fwd = await own.forwardLocal({ remoteHost: '127.0.0.1', remotePort: echo.port })
    const sock = netConnect(fwd.port, '127.0.0.1')
    sock.end('ping')
    expect(await body(sock)).toBe('ping')
    await own.close()
    expect(fwd.closed).toBe(true)
    const refused = await new Promise<string>((resolve) => {
      const s = netConnect(fwd.port, '127.0.0.1')
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? ''))
      s.on('connect', () => {
        s.destroy()
        resolve('connected')
      })
    })
    expect(refused).toBe('ECONNREFUSED')
  })

  it('forwards a remote port to a local service', async () => {
    await using echo = await startEchoServer()
    await using fwd = await c.forwardRemote({ localPort: echo.port })
    const reply = await c.run(`printf hello | nc -q 1 127.0.0.1 ${fwd.port} || printf hello | socat - TCP:127.0.0.1:${fwd.port}`, { warn: true })
    expect(reply.stdout).toBe('hello')
  })
})

describe('Connection.openSocket for drivers', () => {
  it('carries http.get through createConnection', async () => {
    const server = (await import('node:http')).createServer((_req, res) => res.end('over ssh'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    try {
      const sock = await c.openSocket('127.0.0.1', port)
      const text = await new Promise<string>((resolve, reject) => {
        httpGet({ host: '127.0.0.1', port, createConnection: () => sock as never }, (res) => body(res).then(resolve, reject)).on('error', reject)
      })
      expect(text).toBe('over ssh')
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('carries TLS (tls.connect({ socket }) + https over it)', async () => {
    await using https = await startTlsHttpsServer()
    const sock = await c.openSocket('127.0.0.1', https.port)
    const tlsSocket = tlsConnect({ socket: sock as never, ca: https.ca, servername: 'localhost' })
    const text = await new Promise<string>((resolve, reject) => {
      httpRequest({ host: 'localhost', port: https.port, createConnection: () => tlsSocket as never }, (res) => body(res).then(resolve, reject))
        .on('error', reject)
        .end()
    })
    expect(text).toBe(https.body)
  })

  it('a refused target is a typed error', async () => {
    const err = await c.openSocket('127.0.0.1', 1).catch((e: unknown) => e)
    expect(err).toHaveProperty('code', 'ERR_SSH_CHANNEL_OPEN')
    void ConnectError
  })
})

describe('Connection.waitClosed', () => {
  it('resolves at once with undefined before the first open, stays pending while open, and resolves with undefined after close()', async () => {
    const own = connectionTo(sshd)
    expect(await settledWithin(own.waitClosed(), 1000)).toBeUndefined()
    await own.open()
    const closed = own.waitClosed()
    expect(own.waitClosed()).toBe(closed)
    expect(await settledWithin(closed, 100)).toBe('pending')
    await own.close()
    expect(await settledWithin(closed, 5000)).toBeUndefined()
    expect(own.waitClosed()).toBe(closed) // the last session's, until the next open
  })

  it("resolves with ConnectionLostError when sshd's session process is killed; a reopen gets a new session and a new promise", async () => {
    await using victim = await startSshd()
    const own = connectionTo(victim)
    try {
      await own.run('true')
      const first = own.waitClosed()
      expect(await killConnections(victim)).toBeGreaterThan(0)
      const cause = await settledWithin(first, 5000)
      expect(cause).toBeInstanceOf(ConnectionLostError)
      expect((cause as ConnectionLostError).code).toBe('ERR_SSH_CONNECTION_LOST')
      expect(await settledWithin(own.waitClosed(), 100)).toBe(cause)
      expect((await own.run('echo again')).stdout).toBe('again\n')
      const second = own.waitClosed()
      expect(second).not.toBe(first)
      expect(await settledWithin(second, 100)).toBe('pending')
    } finally {
      await own.close()
    }
  })

  it("resolves with TimeoutError phase 'keepalive' when the server's session process stops answering", async () => {
    await using victim = await startSshd()
    const own = connectionTo(victim, { keepalive: { intervalMs: 200, countMax: 2 } })
    try {
      await own.open()
      const pids = await victim.connectionPids()
      expect(pids.length).toBeGreaterThan(0)
      // sshd's pre-auth child may exit between the listing and the signal.
      expect(signalEach(pids, 'SIGSTOP')).toBeGreaterThan(0)
      const cause = await settledWithin(own.waitClosed(), 10_000)
      expect(cause).toBeInstanceOf(TimeoutError)
      expect((cause as TimeoutError).phase).toBe('keepalive')
    } finally {
      await own.close()
    }
  })

  it('resolves a forward it opened with the cause when the connection is lost', async () => {
    await using victim = await startSshd()
    await using echo = await startEchoServer()
    const own = connectionTo(victim)
    try {
      const fwd = await own.forwardLocal({ remoteHost: '127.0.0.1', remotePort: echo.port })
      expect(await killConnections(victim)).toBeGreaterThan(0)
      expect(await settledWithin(fwd.waitClosed(), 5000)).toBeInstanceOf(ConnectionLostError)
    } finally {
      await own.close()
    }
  })
})
