/**
 * Issue #5, requireStrictKex: ssh2 1.17 negotiates strict key exchange (the Terrapin
 * countermeasure) when the server offers it but cannot insist on it. With `requireStrictKex`
 * a Transport refuses a server without `kex-strict-s-v00@openssh.com` before authentication;
 * `negotiated.strictKex` always reports the outcome. OpenSSH 9.2 and Dropbear 2022.83, as
 * Debian ships them (the Terrapin fixes are backported into both), do strict kex; the server
 * without it is the in-process ssh2 server with disableStrictKex.
 */
import {
  disableStrictKex,
  startDropbear,
  startSsh2Server,
  startSshd,
  type DropbearHandle,
  type Ssh2ServerHandle,
  type SshServerHandle,
  type SshdHandle,
} from '@x/testbed'
import { HandshakeError, SSHError, Transport, fixedHostKey, knownHosts, type HostKeyVerifier } from '@x/transport'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recordFigure } from './support/figures.js'
import { leakProbe } from './support/leaks.js'
import { failure, since } from './support/outcome.js'
import { sessionOutput } from './support/integrity.js'

const TIMEOUTS = { connectMs: 5_000, handshakeMs: 5_000, authMs: 5_000, channelMs: 5_000 } as const

let sshd: SshdHandle
let dropbear: DropbearHandle
let legacy: Ssh2ServerHandle
/** What the server without strict kex saw: its protocol trace and authentication requests. */
const legacySaw = { debug: [] as string[], auths: 0 }

beforeAll(async () => {
  ;[sshd, dropbear] = await Promise.all([startSshd(), startDropbear()])
  legacy = await startSsh2Server({
    config: { debug: (line: string) => legacySaw.debug.push(line) },
    onConnection: (conn) => {
      disableStrictKex(conn)
      conn.on('authentication', (ctx) => {
        legacySaw.auths++
        ctx.accept()
      })
      conn.on('session', (accept) => {
        accept().on('exec', (acceptExec) => {
          const ch = acceptExec()
          ch.end('legacy-ok\n')
          ch.exit(0)
        })
      })
    },
  })
}, 60_000)
afterAll(async () => {
  await Promise.allSettled([sshd?.close(), dropbear?.close(), legacy?.close()])
})

/** Runs `command` on a new session and returns its stdout. */
async function run(t: Transport, command: string): Promise<string> {
  return (await sessionOutput(t, command)).output
}

/** A Transport to a real test server, its host key checked against the server's known_hosts. */
function toServer(server: SshServerHandle, requireStrictKex?: boolean): Transport {
  return new Transport(`${server.host}:${server.port}`, {
    hostKeyVerifier: knownHosts({ files: [server.knownHostsFile] }),
    requireStrictKex,
    timeouts: TIMEOUTS,
  })
}

describe('servers that do strict kex', () => {
  const servers = (): Array<[string, SshServerHandle]> => [
    ['OpenSSH sshd', sshd],
    ['Dropbear', dropbear],
  ]
  for (const index of [0, 1]) {
    for (const requireStrictKex of [false, true]) {
      it(`${index === 0 ? 'OpenSSH sshd' : 'Dropbear'}${requireStrictKex ? ' with requireStrictKex' : ''}: negotiated.strictKex is true and the session works`, async () => {
        const [, server] = servers()[index]!
        await using t = toServer(server, requireStrictKex)
        await t.startClient()
        expect(t.negotiated?.strictKex).toBe(true)
        expect(await t.authPublicKey(server.user, server.clientKeys.ed25519.privateText)).toEqual([])
        expect((await run(t, 'echo strict-ok')).trim()).toBe('strict-ok')
      })
    }
  }

  it('OpenSSH sshd with requireStrictKex: a key re-exchange keeps strict kex and the session', async () => {
    await using t = toServer(sshd, true)
    await t.startClient()
    await t.authPublicKey(sshd.user, sshd.clientKeys.ed25519.privateText)
    await t.renegotiateKeys()
    expect(t.negotiated?.strictKex).toBe(true)
    expect(t.isActive).toBe(true)
    expect((await run(t, 'echo after-rekey')).trim()).toBe('after-rekey')
  })
})

describe('a server without strict kex (in-process ssh2 with disableStrictKex)', () => {
  /** A Transport to the legacy server that records, in order, what happened. */
  function toLegacy(requireStrictKex: boolean | undefined, events: string[]): Transport {
    const verifier: HostKeyVerifier = async (key, target) => {
      events.push('host key checked')
      return fixedHostKey(legacy.hostKey.publicLine)(key, target)
    }
    const t = new Transport(`${legacy.host}:${legacy.port}`, { hostKeyVerifier: verifier, requireStrictKex, timeouts: TIMEOUTS })
    t.on('close', (err) => events.push(`close ${err?.code ?? 'clean'}`))
    return t
  }

  it('without the option: negotiated.strictKex is false and the session works', async () => {
    const events: string[] = []
    await using t = toLegacy(undefined, events)
    await t.startClient()
    expect(t.negotiated?.strictKex).toBe(false)
    expect(await t.authNone('anyone')).toEqual([])
    expect((await run(t, 'anything')).trim()).toBe('legacy-ok')
  })

  it('with requireStrictKex: HandshakeError after the key exchange and before any authentication request, nothing leaked', async () => {
    const probe = leakProbe()
    const events: string[] = []
    legacySaw.debug.length = 0
    const authsBefore = legacySaw.auths
    const t = toLegacy(true, events)
    const t0 = performance.now()
    const err = await failure(t.startClient())
    const elapsed = since(t0)
    await new Promise((resolve) => setImmediate(resolve))
    recordFigure({ case: 'requireStrictKex against a server without strict kex', measure: 'time to HandshakeError', value: elapsed, unit: 'ms', bound: TIMEOUTS.handshakeMs })
    expect(err).toBeInstanceOf(HandshakeError)
    expect((err as SSHError).code).toBe('ERR_SSH_HANDSHAKE')
    expect(elapsed).toBeLessThan(TIMEOUTS.handshakeMs)
    // The outcome is reported even though the session was refused.
    expect(t.negotiated?.strictKex).toBe(false)
    expect(t.isActive).toBe(false)
    // Order: the key exchange got as far as the host-key check, then the transport closed.
    expect(events).toEqual(['host key checked', 'close ERR_SSH_HANDSHAKE'])
    // The server: the key exchange finished (it received our NEWKEYS), no userauth service
    // was ever requested, no authentication attempted.
    expect(legacySaw.debug.some((line) => line.includes('Inbound: NEWKEYS'))).toBe(true)
    expect(legacySaw.debug.filter((line) => line.includes('SERVICE_REQUEST'))).toEqual([])
    expect(legacySaw.auths).toBe(authsBefore)
    await expect(t.authNone('anyone')).rejects.toBeInstanceOf(SSHError)
    expect((await probe.check()).problems).toEqual([])
  })
})
