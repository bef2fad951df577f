/**
 * Issue #5, Terrapin-style injection: a man-in-the-middle relay inserts an unencrypted
 * SSH_MSG_IGNORE toward the client right after the server's identification line (before its
 * KEXINIT), or right after its KEXINIT. Against servers that do strict key exchange (OpenSSH
 * 9.2 and Dropbear 2022.83 as Debian ships them both do) the client must refuse before any
 * authentication. Against a server without strict kex (the in-process ssh2 server with
 * disableStrictKex) the outcome depends on the cipher and is recorded; requireStrictKex
 * refuses it always.
 */
import {
  disableStrictKex,
  startDropbear,
  startMitmRelay,
  startSsh2Server,
  startSshd,
  type DropbearHandle,
  type MitmFault,
  type Ssh2ServerHandle,
  type SshServerHandle,
  type SshdHandle,
} from '@x/testbed'
import { HandshakeError, Transport, fixedHostKey, knownHosts, type HostKeyVerifier, type NegotiatedAlgorithms } from '@x/transport'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recordFigure } from './support/figures.js'
import { authEvidence } from './support/auth-evidence.js'
import { errorLabel } from './support/integrity.js'
import { leakProbe } from './support/leaks.js'
import { failure, since, within } from './support/outcome.js'

const HANDSHAKE_MS = 4_000
/** Scheduling slack on a contended 2-core machine. */
const SLACK_MS = 2_000

let sshd: SshdHandle
let dropbear: DropbearHandle
/** Authentication attempts the in-process server saw, per test. */
let ssh2Auths = 0
let ssh2: Ssh2ServerHandle
beforeAll(async () => {
  ;[sshd, dropbear] = await Promise.all([startSshd({ logLevel: 'VERBOSE' }), startDropbear()])
  ssh2 = await startSsh2Server({
    onConnection: (conn) => {
      disableStrictKex(conn)
      conn.on('authentication', (ctx) => {
        ssh2Auths++
        ctx.accept()
      })
      conn.on('session', (accept) => {
        accept().on('exec', (acceptExec) => {
          const ch = acceptExec()
          ch.end('injected-ok\n')
          ch.exit(0)
        })
      })
    },
  })
}, 60_000)
afterAll(async () => {
  await Promise.allSettled([sshd?.close(), dropbear?.close(), ssh2?.close()])
})

const POSITIONS = ['before-kexinit', 'after-kexinit'] as const

/** How one injected connection ended. */
interface InjectionOutcome {
  readonly error: unknown
  readonly stdout: string | undefined
  readonly elapsedMs: number
  readonly injections: number
  readonly negotiated: NegotiatedAlgorithms | undefined
  /** Whether the Transport ever got as far as asking for authentication. */
  readonly reachedAuth: boolean
  /** The relay's port toward the server: the client port the server logs. */
  readonly upstreamPort: number | undefined
}

/** Connects through an injecting relay to `target`, authenticates with `login` and runs `echo injected-ok`. */
async function injected(
  target: { host: string; port: number },
  fault: MitmFault,
  options: { verifier: HostKeyVerifier; hostname: string; port: number; cipher?: string; mac?: string; requireStrictKex?: boolean },
  login: (t: Transport) => Promise<string[]>,
): Promise<InjectionOutcome> {
  await using relay = await startMitmRelay(target, fault)
  const t = new Transport(`127.0.0.1:${relay.port}`, {
    hostKeyVerifier: options.verifier,
    hostname: options.hostname,
    port: options.port,
    requireStrictKex: options.requireStrictKex,
    algorithms: { ...(options.cipher ? { cipher: [options.cipher] } : {}), ...(options.mac ? { mac: [options.mac] } : {}) },
    timeouts: { connectMs: HANDSHAKE_MS, handshakeMs: HANDSHAKE_MS, authMs: HANDSHAKE_MS, channelMs: HANDSHAKE_MS },
  })
  let reachedAuth = false
  let stdout: string | undefined
  const t0 = performance.now()
  const error = await failure(within((async () => {
    await t.startClient()
    reachedAuth = true
    const next = await login(t)
    if (next.length > 0) throw new Error(`server wants more: ${next.join(',')}`)
    const ch = await t.openSession()
    await ch.exec('echo injected-ok')
    ch.end()
    ch.stderr.resume()
    const chunks: Buffer[] = []
    for await (const chunk of ch) chunks.push(Buffer.from(chunk as Buffer))
    stdout = Buffer.concat(chunks).toString()
  })(), 4 * HANDSHAKE_MS + SLACK_MS, 'injected connection'))
  const elapsedMs = since(t0)
  const negotiated = t.negotiated
  if (error === undefined) await t.close()
  else t.destroy()
  return { error, stdout, elapsedMs, injections: relay.injections, negotiated, reachedAuth, upstreamPort: relay.upstreamPorts[0] }
}

/** The servers that do strict kex, by name. */
function strictServers(): Array<[string, SshServerHandle]> {
  return [
    ['OpenSSH sshd', sshd],
    ['Dropbear', dropbear],
  ]
}

/** Authenticates with the server's ed25519 test key. */
const withKey = (server: SshServerHandle) => (t: Transport) => t.authPublicKey(server.user, server.clientKeys.ed25519.privateText)

describe('an IGNORE injected by a relay, against servers that do strict kex', () => {
  for (const index of [0, 1]) {
    it(`${index === 0 ? 'OpenSSH sshd' : 'Dropbear'}, control: the same relay without injection logs in, and the server log shows it`, async () => {
      const [, server] = strictServers()[index]!
      const outcome = await injected(server, { kind: 'none' }, { verifier: knownHosts({ files: [server.knownHostsFile] }), hostname: server.host, port: server.port }, withKey(server))
      expect(errorLabel(outcome.error)).toBe('success')
      expect(outcome.stdout?.trim()).toBe('injected-ok')
      expect(outcome.negotiated?.strictKex).toBe(true)
      const seen = await authEvidence(server, outcome.upstreamPort!)
      expect(seen.authenticated, seen.lines.join('\n')).toBe(true)
    })
  }
  for (const position of POSITIONS) {
    for (const index of [0, 1]) {
      it(`${position}: ${index === 0 ? 'OpenSSH sshd' : 'Dropbear'} → HandshakeError before any authentication, nothing leaked`, async () => {
        const [name, server] = strictServers()[index]!
        const probe = leakProbe()
        const outcome = await injected(
          server,
          { kind: 'inject-ignore', position },
          { verifier: knownHosts({ files: [server.knownHostsFile] }), hostname: server.host, port: server.port },
          withKey(server),
        )
        recordFigure({ case: `IGNORE injected ${position} against ${name}`, measure: `time to ${errorLabel(outcome.error)}`, value: outcome.elapsedMs, unit: 'ms', bound: HANDSHAKE_MS + SLACK_MS })
        expect(outcome.injections).toBe(1)
        expect(outcome.error, errorLabel(outcome.error)).toBeInstanceOf(HandshakeError)
        expect(outcome.stdout).toBeUndefined()
        expect(outcome.reachedAuth).toBe(false)
        expect(outcome.negotiated).toBeUndefined()
        expect(outcome.elapsedMs).toBeLessThan(HANDSHAKE_MS + SLACK_MS)
        // The server's own log: this connection ended before authentication, with no attempt.
        const seen = await authEvidence(server, outcome.upstreamPort!)
        expect(seen.endedBeforeAuth, seen.lines.join('\n')).toBe(true)
        expect(seen.attempted, seen.lines.join('\n')).toBe(false)
        expect((await probe.check()).problems).toEqual([])
      })
    }
  }
})

describe('an IGNORE injected before KEXINIT, against a server without strict kex (in-process ssh2)', () => {
  // Without strict kex the client accepts the IGNORE and its inbound sequence number runs one
  // ahead of the server's. A MAC (or chacha20-poly1305's nonce) covers the sequence number, so
  // the first encrypted packet fails; AES-GCM (RFC 5647) does not use it, so the connection
  // works and the injected packet goes unnoticed — the prefix-truncation precondition that
  // strict kex removes. requireStrictKex refuses such a server whatever the cipher.
  const pairs: Array<{ cipher: string; mac?: string; expected: string }> = [
    { cipher: 'aes128-gcm@openssh.com', expected: 'success' },
    { cipher: 'chacha20-poly1305@openssh.com', expected: 'HandshakeError(ERR_SSH_HANDSHAKE)' },
    { cipher: 'aes128-ctr', mac: 'hmac-sha2-256', expected: 'HandshakeError(ERR_SSH_HANDSHAKE)' },
    { cipher: 'aes128-ctr', mac: 'hmac-sha2-256-etm@openssh.com', expected: 'HandshakeError(ERR_SSH_HANDSHAKE)' },
  ]
  const target = () => ({ verifier: fixedHostKey(ssh2.hostKey.publicLine), hostname: ssh2.host, port: ssh2.port })
  for (const { expected, ...pair } of pairs) {
    const name = pair.mac ? `${pair.cipher} + ${pair.mac}` : pair.cipher
    it(`${name}: ${expected}, strictKex false; with requireStrictKex: HandshakeError before authentication`, async () => {
      const probe = leakProbe()
      const fault: MitmFault = { kind: 'inject-ignore', position: 'before-kexinit' }
      const plain = await injected(ssh2, fault, { ...target(), ...pair }, (t) => t.authNone('anyone'))
      recordFigure({ case: `IGNORE injected before KEXINIT, no strict kex: ${name}`, measure: `time to ${errorLabel(plain.error)}`, value: plain.elapsedMs, unit: 'ms', bound: HANDSHAKE_MS + SLACK_MS })
      expect(plain.injections).toBe(1)
      expect(errorLabel(plain.error)).toBe(expected)
      if (expected === 'success') {
        expect(plain.stdout?.trim()).toBe('injected-ok')
        expect(plain.negotiated?.strictKex).toBe(false)
      }
      const authsBefore = ssh2Auths
      const strict = await injected(ssh2, fault, { ...target(), ...pair, requireStrictKex: true }, (t) => t.authNone('anyone'))
      recordFigure({ case: `IGNORE injected before KEXINIT, no strict kex, requireStrictKex: ${name}`, measure: `time to ${errorLabel(strict.error)}`, value: strict.elapsedMs, unit: 'ms', bound: HANDSHAKE_MS + SLACK_MS })
      expect(strict.error, errorLabel(strict.error)).toBeInstanceOf(HandshakeError)
      expect(strict.reachedAuth).toBe(false)
      expect(ssh2Auths).toBe(authsBefore)
      expect(strict.elapsedMs).toBeLessThan(HANDSHAKE_MS + SLACK_MS)
      expect((await probe.check()).problems).toEqual([])
    })
  }
})
