// Regression: OpenSSH sends a command's exit-status as soon as the command exits, ahead of
// output still waiting in its buffers. When the connection then failed (here: one bit flipped
// by a man-in-the-middle, so ssh2 saw a bad MAC) before the server's EOF, the Channel ended its
// stream as if the output were complete and exitStatus() said { code: 0 }: a truncated command
// output looked like success. Found by faults/integrity-relays.test.ts (a flip 16 KiB into the
// server's stream, under load). The stream now fails with ConnectionLostError.
import { killConnections, startMitmRelay, startSshd, type SshdHandle } from '@x/testbed'
import { ConnectionLostError, Transport, knownHosts } from '@x/transport'
import { afterAll, beforeAll, expect, it } from 'vitest'

let sshd: SshdHandle
beforeAll(async () => {
  sshd = await startSshd()
})
afterAll(async () => {
  await sshd?.close()
})

// The shell exits at once (exit-status 0 goes out first); its background child writes 60 KB
// half a second later, on the still-open channel.
const LATE_OUTPUT = "(sleep 0.5; head -c 60000 /dev/zero | tr '\\0' x; echo done) & exit 0"

/**
 * Runs LATE_OUTPUT over a Transport to 127.0.0.1:`port` (sshd itself or a relay in front of it)
 * and reads its whole stdout; `afterExitStatus` runs once the exit status arrived, while the
 * late output is still to come. Resolves with how the stream ended and what it carried.
 */
async function readLateOutput(port: number, afterExitStatus?: () => Promise<void>) {
  const t = new Transport(`127.0.0.1:${port}`, {
    hostKeyVerifier: knownHosts({ files: [sshd.knownHostsFile] }),
    hostname: sshd.host,
    port: sshd.port,
    timeouts: { handshakeMs: 10_000, authMs: 10_000, channelMs: 10_000 },
  })
  try {
    await t.startClient()
    await t.authPublicKey(sshd.user, sshd.clientKeys.ed25519.privateText)
    const ch = await t.openSession()
    await ch.exec(LATE_OUTPUT)
    ch.end()
    ch.stderr.resume()
    let received = 0
    const outcome = (async () => {
      for await (const chunk of ch) received += (chunk as Buffer).length
    })().then(() => undefined, (err: unknown) => err)
    const status = await ch.exitStatus()
    await afterExitStatus?.()
    return { outcome: await outcome, received, status }
  } finally {
    t.destroy()
  }
}

async function runThroughFlippingRelay(offset: number | undefined) {
  await using relay = await startMitmRelay(sshd, offset === undefined ? { kind: 'none' } : { kind: 'flip', direction: 'server-to-client', offset })
  return { ...(await readLateOutput(relay.port)), flips: relay.flips }
}

it('without a fault the late output arrives whole after exit status 0 (the control)', async () => {
  const r = await runThroughFlippingRelay(undefined)
  expect(r.outcome).toBeUndefined()
  expect(r.received).toBe(60_000 + 'done\n'.length)
  expect(r.status).toEqual({ code: 0, signal: null })
})

it('a connection that fails after exit status 0 but before EOF fails the stream with ConnectionLostError', async () => {
  const r = await runThroughFlippingRelay(16 * 1024)
  expect(r.flips).toBe(1)
  expect(r.status.code).toBe(0) // the server did say 0 before the connection failed
  expect(r.received).toBeLessThan(60_000)
  expect(r.outcome).toBeInstanceOf(ConnectionLostError)
})

it('a server that hangs up after exit status 0 but before EOF (no ssh2 error, just FIN) fails the stream too', async () => {
  // The late output is still half a second away when the exit status arrives: kill sshd's
  // processes for this connection, so the kernel closes its socket in order (a FIN, no
  // SSH_MSG_DISCONNECT, no channel EOF).
  const r = await readLateOutput(sshd.port, async () => {
    await killConnections(sshd)
  })
  expect(r.status).toEqual({ code: 0, signal: null })
  expect(r.received).toBe(0)
  expect(r.outcome).toBeInstanceOf(ConnectionLostError)
})
