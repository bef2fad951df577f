import { createRequire } from 'node:module'
import { join } from 'node:path'
import { startSshAgent } from '@x/testbed'
import { ChannelOpenError, knownHosts, Transport, type ServerChannel } from '@x/transport'
import ssh2 from 'ssh2'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { runCommand } from './helpers.js'
import { serverFixture, type ServerFixture, type ServerUnderTest } from './server-fixture.js'

let fx: ServerFixture
const cleanups: Array<() => unknown> = []
beforeAll(async () => {
  fx = await serverFixture()
})
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
  await fx.closeAll()
})
afterAll(async () => {
  await fx.remove()
})

/** Answers every accepted channel with `ran <command>` and exit 0 (after `delayMs`). */
function echoCommands(delayMs = 0): (t: Transport<'server'>) => void {
  return (t) => {
    void (async () => {
      for (let ch = await t.accept(); ch; ch = await t.accept()) {
        const current: ServerChannel = ch
        current.resume()
        setTimeout(() => {
          current.write(`ran ${current.command}\n`)
          current.exit(0)
        }, delayMs)
      }
    })()
  }
}

/** Our own client, authenticated with the ed25519 key. */
async function ourClient(srv: ServerUnderTest): Promise<Transport> {
  const t = new Transport(`127.0.0.1:${srv.port}`, { hostKeyVerifier: knownHosts({ files: [srv.knownHostsFile] }), timeouts: { connectMs: 5_000, handshakeMs: 10_000, authMs: 10_000, channelMs: 10_000 } })
  cleanups.push(() => t.close())
  await t.startClient()
  expect(await t.authPublicKey('me', fx.keys.ed25519.privateText)).toEqual([])
  return t
}

function sshString(s: string): Buffer {
  const b = Buffer.from(s)
  const len = Buffer.alloc(4)
  len.writeUInt32BE(b.length)
  return Buffer.concat([len, b])
}

describe('no-more-sessions@openssh.com', () => {
  it('is sent by OpenSSH ssh to a server with an OpenSSH version, and the session opened before it runs', async () => {
    const srv = await fx.listen(() => fx.base(), echoCommands(), { serverVersion: 'OpenSSH_9.2p1', loginGraceMs: 10_000 })
    const r = await srv.ssh(['-v'], 'first')
    expect(r.stderr).toContain('Requesting no-more-sessions@openssh.com')
    expect(r.stdout).toBe('ran first\n')
    expect(r.code).toBe(0)
  })

  it('refuses every session opened after it (ChannelOpenError) while an earlier one keeps working', async () => {
    // Each command answers once its stdin ends, so the first session stays open across the request.
    const srv = await fx.listen(() => fx.base(), (t) => {
      void (async () => {
        for (let ch = await t.accept(); ch; ch = await t.accept()) {
          const current: ServerChannel = ch
          current.resume()
          current.once('end', () => {
            current.write(`ran ${current.command}\n`)
            current.exit(0)
          })
        }
      })()
    })
    const t = await ourClient(srv)
    const earlier = await t.openSession()
    await earlier.exec('still')
    expect(await t.globalRequest('no-more-sessions@openssh.com')).toMatchObject({ accepted: true })
    await expect(runCommand(t, 'later')).rejects.toBeInstanceOf(ChannelOpenError)
    earlier.end()
    let out = ''
    for await (const chunk of earlier) out += String(chunk)
    expect(out).toBe('ran still\n')
  })
})

describe('keepalive@openssh.com and other unknown requests', () => {
  it('keeps OpenSSH ssh with ServerAliveInterval=1, ServerAliveCountMax=1 connected through 3 s of silence', async () => {
    const srv = await fx.listen(() => fx.base(), echoCommands(3_000))
    const r = await srv.ssh(['-o', 'ServerAliveInterval=1', '-o', 'ServerAliveCountMax=1'], 'quiet')
    expect(r.stderr).not.toMatch(/not responding/)
    expect(r.stdout).toBe('ran quiet\n')
    expect(r.code).toBe(0)
  })

  it('answers a keepalive@openssh.com global request with failure', async () => {
    const srv = await fx.listen(() => fx.base(), echoCommands())
    const t = await ourClient(srv)
    expect(await t.globalRequest('keepalive@openssh.com')).toMatchObject({ accepted: false })
    expect((await runCommand(t, 'after')).stdout).toBe('ran after\n')
  })
})

describe('streamlocal-forward@openssh.com from our own client', () => {
  it('asks checkStreamLocalForwardRequest and cancelStreamLocalForwardRequest; missing methods refuse', async () => {
    const calls: string[] = []
    const path = join(fx.dir, 'fwd.sock')
    const withBoth = await fx.listen(() => fx.base({
      checkStreamLocalForwardRequest: (p) => (calls.push(`listen ${p}`), true),
      cancelStreamLocalForwardRequest: (p) => void calls.push(`cancel ${p}`),
    }), echoCommands())
    const t = await ourClient(withBoth)
    expect(await t.globalRequest('streamlocal-forward@openssh.com', sshString(path))).toMatchObject({ accepted: true })
    expect(await t.globalRequest('cancel-streamlocal-forward@openssh.com', sshString(path))).toMatchObject({ accepted: true })
    expect(calls).toEqual([`listen ${path}`, `cancel ${path}`])
    const without = await ourClient(await fx.listen(() => fx.base(), echoCommands()))
    expect(await without.globalRequest('streamlocal-forward@openssh.com', sshString(path))).toMatchObject({ accepted: false })
    expect(await without.globalRequest('cancel-streamlocal-forward@openssh.com', sshString(path))).toMatchObject({ accepted: false })
  })
})

const protocolUtils = createRequire(import.meta.url)('ssh2/lib/protocol/utils.js') as { sendPacket(proto: unknown, packet: Buffer): void }
interface RawClientChannel { outgoing: { id: number }; _callbacks: Array<(failed: boolean) => void> }

/** Sends CHANNEL_REQUEST `type` with want-reply on an ssh2 client channel; resolves with whether it succeeded. */
function channelRequest(client: ssh2.Client, channel: unknown, type: string, payload: Buffer = Buffer.alloc(0)): Promise<boolean> {
  const raw = channel as RawClientChannel
  const proto = (client as unknown as { _protocol: { _packetRW: { write: { allocStart: number; alloc(n: number): Buffer; finalize(p: Buffer): Buffer } } } })._protocol
  const id = Buffer.alloc(4)
  id.writeUInt32BE(raw.outgoing.id)
  const body = Buffer.concat([Buffer.from([98]), id, sshString(type), Buffer.from([1]), payload])
  const w = proto._packetRW.write
  const start = w.allocStart
  const packet = w.alloc(body.length)
  body.copy(packet, start)
  return new Promise((resolve) => {
    raw._callbacks.push((failed) => resolve(!failed))
    protocolUtils.sendPacket(proto, w.finalize(packet))
  })
}

/** Connects an ssh2 client (the second protocol implementation) with the ed25519 key. */
function ssh2Client(srv: ServerUnderTest, extra: Record<string, unknown> = {}): Promise<ssh2.Client> {
  return new Promise((resolve, reject) => {
    const c = new ssh2.Client()
    cleanups.push(() => c.end())
    c.on('error', reject)
    c.on('ready', () => resolve(c))
    c.connect({ host: '127.0.0.1', port: srv.port, username: 'me', privateKey: fx.keys.ed25519.privateText, hostVerifier: () => true, ...extra } as never)
  })
}

function exec(c: ssh2.Client, command: string, opts: Record<string, unknown> = {}): Promise<ssh2.ClientChannel> {
  return new Promise((resolve, reject) => c.exec(command, opts as never, (err, ch) => (err ? reject(err) : resolve(ch))))
}

describe('want-reply session requests are always answered', () => {
  it('refuses x11-req and auth-agent-req with want-reply when the check method is missing (the exec is never sent)', async () => {
    const srv = await fx.listen(() => fx.base(), echoCommands())
    await using agent = await startSshAgent()
    await expect(exec(await ssh2Client(srv), 'x', { x11: true })).rejects.toThrow(/Unable to request X11/)
    await expect(exec(await ssh2Client(srv, { agent: agent.socketPath, agentForward: true }), 'y')).rejects.toThrow(/Unable to request agent forwarding/)
    // The same requests are allowed by the check methods.
    const allowing = await fx.listen(() => fx.base({ checkX11Request: () => true, checkAgentForwardRequest: () => true }), echoCommands())
    const both = await exec(await ssh2Client(allowing, { agent: agent.socketPath, agentForward: true }), 'z', { x11: true })
    let out = ''
    for await (const chunk of both) out += String(chunk)
    expect(out).toBe('ran z\n')
  })

  it('refuses x11-req, auth-agent-req and keepalive@openssh.com sent after exec started, even when the checks would allow them', async () => {
    let hold!: ServerChannel
    const srv = await fx.listen(() => fx.base({ checkX11Request: () => true, checkAgentForwardRequest: () => true }), (t) => {
      void t.accept().then((ch) => {
        hold = ch!
        ch?.resume()
      })
    })
    const c = await ssh2Client(srv)
    const ch = await exec(c, 'long')
    const x11 = Buffer.concat([Buffer.from([0]), sshString('MIT-MAGIC-COOKIE-1'), sshString('00'.repeat(16)), Buffer.alloc(4)])
    expect(await channelRequest(c, ch, 'keepalive@openssh.com')).toBe(false)
    expect(await channelRequest(c, ch, 'x11-req', x11)).toBe(false)
    expect(await channelRequest(c, ch, 'auth-agent-req@openssh.com')).toBe(false)
    expect(hold.x11).toBeUndefined()
    expect(hold.agentForwarding).toBe(false)
    hold.exit(0)
  })
})
