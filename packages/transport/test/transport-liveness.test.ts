import { createHash, randomBytes } from 'node:crypto'
import { closedPort, freezeProcesses, startEchoServer, startGarbageServer, startSilentServer, startSshd, type SshdHandle } from '@x/testbed'
import {
  ConnectError,
  ConnectionLostError,
  HandshakeError,
  SSHError,
  TimeoutError,
  Transport,
  insecureAcceptAnyHostKey,
} from '@x/transport'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authenticatedTransport, collect } from './helpers.js'

let sshd: SshdHandle
beforeAll(async () => {
  sshd = await startSshd()
})
afterAll(async () => {
  await sshd?.close()
})

/** Records every 'close' event of `t`. */
function closeEvents(t: Transport): Array<SSHError | undefined> {
  const events: Array<SSHError | undefined> = []
  t.on('close', (err) => events.push(err))
  return events
}

describe('keepalive', () => {
  it('closes an idle transport whose peer stopped with TimeoutError{phase:"keepalive"} in time, rejecting pending calls', async () => {
    const t = await authenticatedTransport(sshd)
    const closes = closeEvents(t)
    const intervalMs = 400
    const countMax = 2
    t.setKeepalive(intervalMs, countMax)
    // OpenSSH hands the socket from its pre-auth child to a new post-auth child right after
    // USERAUTH_SUCCESS: one answered request proves the post-auth child exists before we list.
    await t.globalRequest('keepalive@openssh.com')
    const pids = await sshd.connectionPids()
    expect(pids.length).toBeGreaterThan(0)
    await freezeProcesses(pids)
    try {
      const started = Date.now()
      const pending = t.globalRequest('xssh-test@example.com').catch((e: unknown) => e)
      const closed = new Promise<SSHError | undefined>((resolve) => t.once('close', resolve))
      const err = await closed
      const elapsed = Date.now() - started
      expect(err).toBeInstanceOf(TimeoutError)
      expect((err as TimeoutError).phase).toBe('keepalive')
      expect(elapsed).toBeLessThanOrEqual((countMax + 1) * intervalMs + 1_000)
      expect(await pending).toBeInstanceOf(TimeoutError)
      await expect(t.openSession()).rejects.toBeInstanceOf(SSHError)
      expect(t.isActive).toBe(false)
      expect(closes).toHaveLength(1)
    } finally {
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {
          // already gone
        }
      }
    }
  })

  it('keeps a healthy idle transport open', async () => {
    await using t = await authenticatedTransport(sshd)
    t.setKeepalive(100, 1)
    await new Promise((resolve) => setTimeout(resolve, 800))
    expect(t.isActive).toBe(true)
  })
})

describe('re-keying', () => {
  it('renegotiateKeys() during a 64 MiB transfer keeps it byte-exact', async () => {
    await using echo = await startEchoServer()
    await using t = await authenticatedTransport(sshd)
    let rekeys = 0
    t.on('rekey', () => rekeys++)
    const ch = await t.openChannel('direct-tcpip', { dest: ['127.0.0.1', echo.port] })
    const total = 64 << 20
    const block = randomBytes(1 << 20)
    const sentHash = createHash('sha256')
    const received = collect(ch)
    let sent = 0
    let rekeyed: Promise<void> | undefined
    await new Promise<void>((resolve, reject) => {
      ch.on('error', reject)
      const write = (): void => {
        while (sent < total) {
          const chunk = Buffer.from(block)
          chunk.writeUInt32BE(sent >>> 0, 0)
          sentHash.update(chunk)
          sent += chunk.length
          if (sent === 16 << 20 || sent === 40 << 20) rekeyed = t.renegotiateKeys()
          if (!ch.write(chunk)) return void ch.once('drain', write)
        }
        ch.end()
        resolve()
      }
      write()
    })
    await rekeyed
    const data = await received
    expect(data.length).toBe(total)
    expect(createHash('sha256').update(data).digest('hex')).toBe(sentHash.digest('hex'))
    expect(rekeys).toBeGreaterThanOrEqual(1)
  }, 120_000)
})

describe('connection failures', () => {
  it('a closed port fails fast with ConnectError', async () => {
    const port = await closedPort()
    const t = new Transport(`127.0.0.1:${port}`, { hostKeyVerifier: insecureAcceptAnyHostKey() })
    const closes = closeEvents(t)
    const started = Date.now()
    const err = await t.startClient().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectError)
    expect((err as ConnectError).port).toBe(port)
    expect(Date.now() - started).toBeLessThan(1_000)
    await new Promise((resolve) => setImmediate(resolve))
    expect(closes).toHaveLength(1)
  })

  it('a server that never sends a banner fails with TimeoutError{phase:"handshake"} at the bound', async () => {
    await using silent = await startSilentServer()
    const t = new Transport(`127.0.0.1:${silent.port}`, { hostKeyVerifier: insecureAcceptAnyHostKey(), timeouts: { handshakeMs: 500 } })
    const started = Date.now()
    const err = await t.startClient().catch((e: unknown) => e)
    const elapsed = Date.now() - started
    expect(err).toBeInstanceOf(TimeoutError)
    expect((err as TimeoutError).phase).toBe('handshake')
    expect(elapsed).toBeGreaterThanOrEqual(450)
    expect(elapsed).toBeLessThan(1_500)
  })

  it('a server that sends garbage fails with a typed error within the bound', async () => {
    await using garbage = await startGarbageServer(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n' + 'x'.repeat(300) + '\r\nSSH-1.5-old\r\n'))
    const t = new Transport(`127.0.0.1:${garbage.port}`, { hostKeyVerifier: insecureAcceptAnyHostKey(), timeouts: { handshakeMs: 1_000 } })
    const started = Date.now()
    const err = await t.startClient().catch((e: unknown) => e)
    expect(err instanceof HandshakeError || (err instanceof TimeoutError && err.phase === 'handshake')).toBe(true)
    expect(Date.now() - started).toBeLessThan(2_000)
  })

  it('close() is idempotent, emits one close event, and later calls reject', async () => {
    const t = await authenticatedTransport(sshd)
    const closes = closeEvents(t)
    await Promise.all([t.close(), t.close()])
    await t.close()
    await new Promise((resolve) => setImmediate(resolve))
    expect(closes).toEqual([undefined])
    await expect(t.openSession()).rejects.toBeInstanceOf(ConnectionLostError)
  })

  it('an aborted startClient rejects with the signal reason and leaves nothing open', async () => {
    await using silent = await startSilentServer()
    const t = new Transport(`127.0.0.1:${silent.port}`, { hostKeyVerifier: insecureAcceptAnyHostKey() })
    const controller = new AbortController()
    const reason = new Error('stop now')
    setTimeout(() => controller.abort(reason), 100)
    await expect(t.startClient({ signal: controller.signal })).rejects.toBe(reason)
    expect(t.isActive).toBe(false)
  })
})
