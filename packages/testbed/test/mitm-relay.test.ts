import { once } from 'node:events'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  MSG_KEXINIT,
  MSG_NEWKEYS,
  SshStreamTracker,
  disableStrictKex,
  plaintextIgnorePacket,
  plaintextPacket,
  startMitmRelay,
  startSsh2Server,
  startSshd,
  type MitmFault,
  type SshdHandle,
} from '../src/index.js'
import { openssh, ssh2Connect, ssh2End } from './helpers.js'

let sshd: SshdHandle
beforeAll(async () => {
  sshd = await startSshd()
})
afterAll(async () => {
  await sshd?.close()
})

/** A synthetic stream: a pre-ident line, the ident, KEXINIT-like and NEWKEYS packets, then "ciphertext". */
function syntheticStream(): { bytes: Buffer; encryptedStart: number } {
  const head = Buffer.from('hello there\r\nSSH-2.0-test\r\n')
  const kexinit = plaintextPacket(Buffer.from([MSG_KEXINIT, 1, 2, 3, 4, 5, 6, 7, 8, 9]))
  const newkeys = plaintextPacket(Buffer.from([MSG_NEWKEYS]))
  const cipher = Buffer.alloc(64, 0xab)
  return { bytes: Buffer.concat([head, kexinit, newkeys, cipher]), encryptedStart: head.length + kexinit.length + newkeys.length }
}

/** Runs the real OpenSSH client through `relay` to sshd (its host key checked under sshd's own name). */
function sshThrough(relayPort: number, command = 'echo through-relay') {
  return openssh({ ...sshd, port: relayPort }, ['-o', `HostKeyAlias=[127.0.0.1]:${sshd.port}`, '-o', 'IdentitiesOnly=yes', '-i', sshd.clientKeys.ed25519.privatePath], command)
}

describe('SshStreamTracker', () => {
  it('finds the ident line, each plaintext packet and where encryption starts, whatever the chunking', () => {
    const { bytes, encryptedStart } = syntheticStream()
    const whole = new SshStreamTracker()
    const report = whole.feed(bytes)
    expect(report.marks.map((m) => m.kind)).toEqual(['ident', 'packet', 'packet'])
    expect(report.marks.map((m) => m.messageType)).toEqual([undefined, MSG_KEXINIT, MSG_NEWKEYS])
    expect(report.encryptedStart).toBe(encryptedStart)
    expect(whole.phase).toBe('encrypted')
    expect(whole.encryptedBytes).toBe(64)

    const byteWise = new SshStreamTracker()
    let firstEncrypted = -1
    for (let i = 0; i < bytes.length; i++) {
      const r = byteWise.feed(bytes.subarray(i, i + 1))
      if (r.encryptedStart !== undefined && firstEncrypted < 0) firstEncrypted = i
    }
    expect(firstEncrypted).toBe(encryptedStart)
    expect(byteWise.messages).toEqual([MSG_KEXINIT, MSG_NEWKEYS])
    expect(byteWise.encryptedBytes).toBe(64)
  })

  it('gives up (phase "lost") on an impossible packet length', () => {
    const tracker = new SshStreamTracker()
    tracker.feed(Buffer.concat([Buffer.from('SSH-2.0-x\r\n'), Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0])]))
    expect(tracker.phase).toBe('lost')
  })

  it('frames plaintext packets to a multiple of 8 with at least 4 bytes of padding', () => {
    for (let n = 1; n < 40; n++) {
      const packet = plaintextPacket(Buffer.alloc(n, 7))
      expect(packet.length % 8).toBe(0)
      expect(packet.readUInt32BE(0)).toBe(packet.length - 4)
      expect(packet[4]).toBeGreaterThanOrEqual(4)
      expect(packet[4]! + n + 1).toBe(packet.length - 4)
    }
    const ignore = plaintextIgnorePacket(Buffer.from('abc'))
    expect(ignore[5]).toBe(2)
  })
})

describe('startMitmRelay in front of sshd', () => {
  it('relays a whole SSH session unchanged when it injects no fault (OpenSSH client)', async () => {
    await using relay = await startMitmRelay(sshd, { kind: 'none' })
    const out = await sshThrough(relay.port)
    expect(out.code).toBe(0)
    expect(out.stdout.trim()).toBe('through-relay')
    expect(relay.flips + relay.injections).toBe(0)
    // sshd logs the relay's own port toward it as the client's port.
    expect(relay.upstreamPorts).toHaveLength(1)
    expect(await sshd.log()).toContain(`127.0.0.1 port ${relay.upstreamPorts[0]}`)
  })

  // What OpenSSH says about each fault: its own words are the oracle that the relay did it.
  const cases: Array<[string, MitmFault, () => Promise<string>, RegExp]> = [
    ['flips a byte the client sends after NEWKEYS', { kind: 'flip', direction: 'client-to-server' }, () => sshd.log(), /message authentication code incorrect|Corrupted MAC/],
    ['flips a byte the server sends after NEWKEYS', { kind: 'flip', direction: 'server-to-client' }, async () => '', /message authentication code incorrect/],
    ['injects a plaintext IGNORE before the server KEXINIT', { kind: 'inject-ignore', position: 'before-kexinit' }, async () => '', /strict KEX violation: KEXINIT was not the first packet/],
  ]
  for (const [name, fault, moreText, pattern] of cases) {
    it(`${name}: the OpenSSH client fails as OpenSSH explains, the relay counts one fault`, async () => {
      await using relay = await startMitmRelay(sshd, fault)
      const out = await sshThrough(relay.port)
      expect(out.code).not.toBe(0)
      expect(out.stdout).not.toContain('through-relay')
      expect(`${out.stderr}\n${await moreText()}`).toMatch(pattern)
      expect(fault.kind === 'flip' ? relay.flips : relay.injections).toBe(1)
    })
  }

  it('close() ends open relayed connections on both sides', async () => {
    const relay = await startMitmRelay(sshd, { kind: 'none' })
    const client = await ssh2Connect({
      host: relay.host, port: relay.port, username: sshd.user, privateKey: sshd.clientKeys.ed25519.privateText,
    })
    const closed = once(client, 'close')
    expect(relay.connections).toBe(1)
    await relay.close()
    await closed
    expect(relay.connections).toBe(0)
  })
})

describe('disableStrictKex', () => {
  /** Connects an ssh2 client to an in-process server and returns its debug lines. */
  async function clientDebug(strict: boolean): Promise<string[]> {
    const lines: string[] = []
    await using server = await startSsh2Server({
      onConnection: (conn) => {
        if (!strict) disableStrictKex(conn)
        conn.on('authentication', (ctx) => ctx.accept())
      },
    })
    const client = await ssh2Connect({ host: server.host, port: server.port, username: 'u', debug: (l: string) => lines.push(l) })
    await ssh2End(client)
    return lines
  }

  it('leaves kex-strict-s out of the server KEXINIT, so the client does not enter strict mode', async () => {
    const strictLines = await clientDebug(true)
    expect(strictLines.some((l) => l.includes('strict KEX mode enabled'))).toBe(true)
    const lines = await clientDebug(false)
    const remoteKex = lines.find((l) => l.includes('(remote) KEX method'))
    expect(remoteKex).toBeDefined()
    expect(remoteKex).not.toContain('kex-strict-s')
    expect(lines.some((l) => l.includes('strict KEX mode enabled'))).toBe(false)
  })
})
