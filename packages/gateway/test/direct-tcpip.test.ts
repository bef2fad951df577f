import { createHash, randomBytes } from 'node:crypto'
import { openDirectTcpip } from '@x/gateway'
import { startEchoServer, startSshd, type SshdHandle, type TcpServerHandle } from '@x/testbed'
import { ChannelOpenError, ChannelSocket, knownHosts, Transport } from '@x/transport'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeOf, readAll, within } from './helpers.js'

// One ProxyJump hop: a direct-tcpip channel of a Transport to a real sshd.

let sshd: SshdHandle
let echo: TcpServerHandle
let bastion: Transport
beforeAll(async () => {
  ;[sshd, echo] = await Promise.all([startSshd(), startEchoServer()])
  bastion = new Transport(`${sshd.host}:${sshd.port}`, { hostKeyVerifier: knownHosts({ files: [sshd.knownHostsFile] }) })
  await bastion.startClient()
  expect(await bastion.authPublicKey(sshd.user, sshd.clientKeys.ed25519.privateText)).toEqual([])
})
afterAll(async () => {
  await bastion?.close()
  await Promise.all([sshd?.close(), echo?.close()])
})

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

describe('openDirectTcpip', () => {
  it('returns a ChannelSocket through which an echo server echoes every byte', async () => {
    const sock = await openDirectTcpip(bastion, echo.host, echo.port)
    expect(sock).toBeInstanceOf(ChannelSocket)
    expect(sock.remotePort).toBe(echo.port)
    const payload = randomBytes(256 * 1024)
    const back = readAll(sock)
    sock.end(payload)
    expect(sha256(await back)).toBe(sha256(payload))
    await closeOf(sock)
  })

  it('carries a second SSH session, as a ProxyJump hop does', async () => {
    const sock = await openDirectTcpip(bastion, sshd.host, sshd.port)
    const inner = new Transport(sock, { hostname: sshd.host, port: sshd.port, hostKeyVerifier: knownHosts({ files: [sshd.knownHostsFile] }) })
    try {
      await inner.startClient()
      expect(await inner.authPublicKey(sshd.user, sshd.clientKeys.ed25519.privateText)).toEqual([])
      const ch = await inner.openSession()
      await ch.exec('echo via-jump')
      ch.end()
      expect((await readAll(ch)).toString()).toBe('via-jump\n')
    } finally {
      await inner.close()
    }
    await closeOf(sock)
  })

  it('rejects with ChannelOpenError when the server cannot connect', async () => {
    const err = await openDirectTcpip(bastion, '127.0.0.1', 1).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ChannelOpenError)
    expect((err as ChannelOpenError).reason).toBe(2) // RFC 4254 §5.1 SSH_OPEN_CONNECT_FAILED
  })

  it('checks its arguments and the signal before opening anything', async () => {
    await expect(openDirectTcpip(bastion, '', 22)).rejects.toBeInstanceOf(TypeError)
    await expect(openDirectTcpip(bastion, 'h', 70000)).rejects.toBeInstanceOf(RangeError)
    await expect(openDirectTcpip({} as never, 'h', 22)).rejects.toBeInstanceOf(TypeError)
    const reason = new Error('stop')
    await expect(within(2000, 'abort', openDirectTcpip(bastion, echo.host, echo.port, { signal: AbortSignal.abort(reason) }))).rejects.toBe(reason)
  })
})
