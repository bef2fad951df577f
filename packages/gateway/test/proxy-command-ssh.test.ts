import { openProxyCommand, ProxyCommandError, type ProxyCommandSocket } from '@x/gateway'
import { childPids, openFdCount, startSshd, waitFor, type SshdHandle } from '@x/testbed'
import { HandshakeError, knownHosts, TimeoutError, Transport, type TransportOptions } from '@x/transport'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { groupMembers, readAll, within } from './helpers.js'

// A real OpenSSH sshd reached only through a ProxyCommand's stdin/stdout.

let sshd: SshdHandle
beforeAll(async () => {
  sshd = await startSshd()
})
afterAll(async () => {
  await sshd?.close()
})

function transportOver(sock: ProxyCommandSocket, options: TransportOptions = {}): Transport {
  return new Transport(sock, {
    hostname: sshd.host,
    port: sshd.port,
    hostKeyVerifier: knownHosts({ files: [sshd.knownHostsFile] }),
    timeouts: { handshakeMs: 10_000, authMs: 10_000, channelMs: 10_000 },
    ...options,
  })
}

const socat = (): string => `socat - TCP:%h:%p`
const target = (): { host: string; port: number } => ({ host: sshd.host, port: sshd.port })

describe('a ProxyCommand carrying SSH', () => {
  it('carries a real SSH session: handshake, host key, auth and a command', async () => {
    const sock = await openProxyCommand(socat(), target())
    expect(sock.command).toBe(`socat - TCP:${sshd.host}:${sshd.port}`)
    const t = transportOver(sock)
    try {
      await t.startClient()
      expect(await t.authPublicKey(sshd.user, sshd.clientKeys.ed25519.privateText)).toEqual([])
      const ch = await t.openSession()
      await ch.exec('echo through-proxy-command; echo err >&2')
      ch.end()
      const [out, status] = await Promise.all([readAll(ch), ch.exitStatus()])
      expect(out.toString()).toBe('through-proxy-command\n')
      expect(status.code).toBe(0)
    } finally {
      await t.close()
      await within(5000, 'reaped', sock.reaped)
    }
    expect(groupMembers(sock.pid)).toEqual([])
  })

  it("closes the Transport with ProxyCommandError when the command dies mid-session", async () => {
    const sock = await openProxyCommand(socat(), target())
    const t = transportOver(sock)
    try {
      await t.startClient()
      expect(await t.authPublicKey(sshd.user, sshd.clientKeys.ed25519.privateText)).toEqual([])
      const closed = new Promise<unknown>((resolve) => t.once('close', resolve))
      process.kill(-sock.pid, 'SIGKILL')
      const err = await within(2000, "the transport's 'close'", closed)
      expect(err).toBeInstanceOf(ProxyCommandError)
      expect((err as ProxyCommandError).signal).toBe('SIGKILL')
      await expect(t.openSession().then((ch) => ch.exec('true'))).rejects.toThrow()
    } finally {
      await t.close()
      await within(5000, 'reaped', sock.reaped)
    }
  })

  it('rejects startClient with ProxyCommandError carrying exit code and stderr within 1 s when the command exits at once', async () => {
    const sock = await openProxyCommand(`sh -c 'echo "ssh: connect to host bastion port 22: Connection refused" >&2; exit 255'`, target())
    const t = transportOver(sock)
    const started = Date.now()
    const err = await within(1000, 'startClient', t.startClient().then(() => undefined, (e: unknown) => e))
    expect(Date.now() - started).toBeLessThan(1000)
    expect(err).toBeInstanceOf(ProxyCommandError)
    const pce = err as ProxyCommandError
    expect(pce.code).toBe('ERR_SSH_PROXY_COMMAND')
    expect(pce.exitCode).toBe(255)
    expect(pce.signal).toBeNull()
    expect(pce.stderrTail).toContain('Connection refused')
    await within(5000, 'reaped', sock.reaped)
  })

  it('fails the handshake quickly on a command that prints garbage forever, and kills it', async () => {
    const sock = await openProxyCommand('yes garbage', target())
    // ssh2 gives up on the banner within ms ('Max greeting lines exceeded') but the Transport
    // closes only when its handshake timer fires: hence a small handshakeMs.
    const t = transportOver(sock, { timeouts: { handshakeMs: 1000 } })
    const started = Date.now()
    const err = await within(5000, 'startClient', t.startClient().then(() => undefined, (e: unknown) => e))
    expect(Date.now() - started).toBeLessThan(1500)
    const ok = err instanceof HandshakeError || (err instanceof TimeoutError && err.phase === 'handshake')
    expect(ok, String(err)).toBe(true)
    await within(5000, 'reaped', sock.reaped)
    expect(groupMembers(sock.pid)).toEqual([])
    // Stopped by the teardown: SIGTERM, or a broken pipe (`yes` exits 1 on EPIPE: children
    // inherit Node's ignored SIGPIPE) when it wrote after its stdout was closed.
    expect(sock.signalCode === 'SIGTERM' || sock.exitCode === 1).toBe(true)
  })

  it('times out the handshake on a command that never answers and leaves no process of its group', async () => {
    const sock = await openProxyCommand('sleep 3600 | cat', target())
    await waitFor(() => groupMembers(sock.pid).length === 3, { timeoutMs: 2000, description: 'the pipeline' })
    const t = transportOver(sock, { timeouts: { handshakeMs: 300 } })
    const err = await within(3000, 'startClient', t.startClient().then(() => undefined, (e: unknown) => e))
    expect(err).toBeInstanceOf(TimeoutError)
    expect((err as TimeoutError).phase).toBe('handshake')
    await within(5000, 'reaped', sock.reaped)
    expect(groupMembers(sock.pid)).toEqual([])
  })

  it('runs 200 handshakes through a ProxyCommand, each closed, without a zombie, a child or a file descriptor left', async () => {
    const children = childPids()
    const fds = openFdCount()
    for (let i = 0; i < 200; i++) {
      const sock = await openProxyCommand(socat(), target())
      const t = transportOver(sock)
      await t.startClient()
      expect(t.remoteServerKey?.fingerprint).toMatch(/^SHA256:/)
      await t.close()
      await within(5000, `reaped #${i}`, sock.reaped)
    }
    expect(childPids()).toEqual(children)
    await waitFor(() => openFdCount() <= fds, { timeoutMs: 3000, description: `fds back to ${fds}` })
  }, 120_000)
})
