import { ConnectError, HandshakeError, TimeoutError } from '@x/transport'
import { closedPort, HOSTILE_BANNERS, startDropbear, startHostileBannerServer, startSilentServer, startSshd, type DropbearHandle, type SshdHandle } from '@x/testbed'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { probeSsh } from '../src/health/probe-ssh.js'
import { hp } from './helpers/pool.js'

let sshd: SshdHandle
let dropbear: DropbearHandle

beforeAll(async () => {
  ;[sshd, dropbear] = await Promise.all([startSshd(), startDropbear()])
})

afterAll(async () => {
  await Promise.all([sshd?.close(), dropbear?.close()])
})

const fast = { connectTimeoutMs: 1000, bannerTimeoutMs: 400 }

describe('probeSsh against real servers', () => {
  it('reports OpenSSH sshd up with its identification line', async () => {
    const outcome = await probeSsh(hp(sshd.host, sshd.port))
    expect(outcome).toMatchObject({ up: true, host: `127.0.0.1:${sshd.port}` })
    if (outcome.up) expect(outcome.banner).toMatch(/^SSH-2\.0-OpenSSH_/)
  })

  it('reports Dropbear up with its identification line', async () => {
    const outcome = await probeSsh(hp(dropbear.host, dropbear.port))
    expect(outcome.up && outcome.banner).toMatch(/^SSH-2\.0-dropbear/)
  })

  it('reports a closed port down with ConnectError', async () => {
    const port = await closedPort()
    const outcome = await probeSsh(hp('127.0.0.1', port))
    expect(outcome.up).toBe(false)
    if (!outcome.up) {
      expect(outcome.error).toBeInstanceOf(ConnectError)
      expect(outcome.error.code).toBe('ERR_SSH_CONNECT')
    }
  })

  it('reports a listener that never sends a banner down with a handshake TimeoutError, on time', async () => {
    await using silent = await startSilentServer()
    const outcome = await probeSsh(hp(silent.host, silent.port), fast)
    expect(outcome.up).toBe(false)
    if (outcome.up) return
    expect(outcome.error).toBeInstanceOf(TimeoutError)
    expect(outcome.error).toMatchObject({ code: 'ERR_SSH_TIMEOUT', phase: 'handshake', timeoutMs: 400 })
    expect(outcome.elapsedMs).toBeGreaterThanOrEqual(390)
    expect(outcome.elapsedMs).toBeLessThan(1400)
  })

  it.each(HOSTILE_BANNERS.filter((k) => k !== 'drip'))('reports a %s greeting down', async (kind) => {
    await using hostile = await startHostileBannerServer(kind)
    const outcome = await probeSsh(hp(hostile.host, hostile.port), fast)
    expect(outcome.up).toBe(false)
    if (outcome.up) return
    // 'garbage' never ends a line: only the banner timer ends it; the others are refused as read.
    if (kind === 'garbage') expect(outcome.error).toMatchObject({ code: 'ERR_SSH_TIMEOUT', phase: 'handshake' })
    else expect(outcome.error).toBeInstanceOf(HandshakeError)
  })

  it('reports a server that drips its banner slower than the timeout down', async () => {
    await using drip = await startHostileBannerServer('drip', { dripIntervalMs: 100 })
    const outcome = await probeSsh(hp(drip.host, drip.port), fast)
    expect(outcome).toMatchObject({ up: false, error: { phase: 'handshake' } })
  })

  it('rejects with the signal’s reason and leaves the listener without a connection', async () => {
    await using silent = await startSilentServer()
    const ac = new AbortController()
    const probe = probeSsh(hp(silent.host, silent.port), { ...fast, bannerTimeoutMs: 10_000, signal: ac.signal })
    const reason = new Error('stop')
    setTimeout(() => ac.abort(reason), 100)
    await expect(probe).rejects.toBe(reason)
    const deadline = Date.now() + 2000
    while (silent.connections > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    expect(silent.connections).toBe(0)
  })

  it('rejects (never throws) for a signal aborted before the call, opening no socket', async () => {
    await using silent = await startSilentServer()
    const reason = new Error('already')
    const probe = probeSsh(hp(silent.host, silent.port), { signal: AbortSignal.abort(reason) })
    await expect(probe).rejects.toBe(reason)
    expect(silent.connections).toBe(0)
  })
})
