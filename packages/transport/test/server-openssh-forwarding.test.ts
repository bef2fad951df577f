import { once } from 'node:events'
import { connect, createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { startEchoServer, startSshAgent } from '@x/testbed'
import { ChannelOpenError, type Channel, type ServerChannel, type ServerX11, type Transport } from '@x/transport'
import { describe, expect, it } from 'vitest'
import { collect } from './helpers.js'
import { useServerFixture } from './server-fixture.js'

const fx = useServerFixture()

/** Serves every accepted channel of `t` with `handle`; a throw ends the channel with status 99. */
function serveEach(handle: (ch: ServerChannel, t: Transport<'server'>) => Promise<void>): (t: Transport<'server'>) => void {
  return (t) => {
    void (async () => {
      for (let ch = await t.accept(); ch; ch = await t.accept()) {
        const current = ch
        void handle(current, t).catch((err: unknown) => {
          current.write(`failed: ${String(err)}\n`)
          current.exit(99)
        })
      }
    })()
  }
}

/** Reads exactly `n` bytes from `stream`; rejects when it ends first. */
async function readBytes(stream: Channel, n: number): Promise<Buffer> {
  for (;;) {
    const chunk = stream.read(n) as Buffer | null
    if (chunk && chunk.length === n) return chunk
    if (chunk || stream.readableEnded) throw new Error(`the stream ended before ${n} bytes`)
    await Promise.race([once(stream, 'readable'), once(stream, 'end')])
  }
}

/** Asks an agent for its identities (SSH_AGENTC_REQUEST_IDENTITIES = 11 → SSH_AGENT_IDENTITIES_ANSWER = 12). */
async function listIdentities(agent: Channel): Promise<Array<{ blob: string; comment: string }>> {
  agent.write(Buffer.from([0, 0, 0, 1, 11]))
  const length = (await readBytes(agent, 4)).readUInt32BE(0)
  const body = await readBytes(agent, length)
  if (body[0] !== 12) throw new Error(`agent answered message type ${body[0]}`)
  const out: Array<{ blob: string; comment: string }> = []
  let at = 5
  const str = (): Buffer => {
    const len = body.readUInt32BE(at)
    const value = body.subarray(at + 4, at + 4 + len)
    at += 4 + len
    return value
  }
  for (let i = body.readUInt32BE(1); i > 0; i--) out.push({ blob: str().toString('base64'), comment: str().toString() })
  return out
}

describe('agent forwarding with OpenSSH ssh -A', () => {
  it('records auth-agent-req and lists the identities of the client\'s real ssh-agent over openForwardAgentChannel', async () => {
    await using agent = await startSshAgent()
    await agent.add(fx.keys.ecdsa.privatePath)
    const srv = await fx.listen(() => fx.base({ checkAgentForwardRequest: () => true }), serveEach(async (ch, t) => {
      if (!ch.agentForwarding) return ch.exit(1)
      const channel = await t.openForwardAgentChannel()
      const ids = await listIdentities(channel)
      channel.end()
      for (const id of ids) ch.write(`${id.blob} ${id.comment}\n`)
      ch.exit(0)
    }))
    const r = await srv.ssh(['-A'], 'list', { SSH_AUTH_SOCK: agent.socketPath })
    const [, blob, comment] = fx.keys.ecdsa.publicLine.trim().split(/\s+/)
    expect(r.stdout).toBe(`${blob} ${comment}\n`)
    expect(r.code).toBe(0)
  })

  it('refuses auth-agent-req without checkAgentForwardRequest; an agent channel to a client without -A is refused with ChannelOpenError', async () => {
    const outcomes: string[] = []
    const srv = await fx.listen(() => fx.base(), serveEach(async (ch, t) => {
      outcomes.push(`agentForwarding=${ch.agentForwarding}`)
      await t.openForwardAgentChannel().then(
        (c) => (outcomes.push('opened'), c.destroy()),
        (err: unknown) => outcomes.push(err instanceof ChannelOpenError ? `ChannelOpenError ${err.code}` : `other ${String(err)}`),
      )
      ch.exit(0)
    }))
    await using agent = await startSshAgent()
    expect((await srv.ssh(['-A'], 'x', { SSH_AUTH_SOCK: agent.socketPath })).code).toBe(0)
    expect((await srv.ssh([], 'x')).code).toBe(0)
    // With -A the client still takes an agent channel (it asked); without -A OpenSSH refuses it.
    expect(outcomes).toEqual(['agentForwarding=false', 'opened', 'agentForwarding=false', expect.stringMatching(/^ChannelOpenError /)])
  })
})

/** A fake X server on 127.0.0.1:6000+N for a free N: DISPLAY=127.0.0.1:N. It records the setup bytes and answers 'X-HELLO'. */
async function fakeXServer(): Promise<{ display: string; received: Promise<Buffer>; server: Server }> {
  let receive!: (b: Buffer) => void
  const received = new Promise<Buffer>((r) => (receive = r))
  const server = createServer((sock) => {
    sock.once('data', (setup: Buffer) => {
      receive(setup)
      sock.end('X-HELLO')
    })
    sock.on('error', () => undefined)
  })
  for (let n = 50; n < 100; n++) {
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false))
      server.listen(6000 + n, '127.0.0.1', () => resolve(true))
    })
    if (ok) return { display: `127.0.0.1:${n}`, received, server }
  }
  throw new Error('no free X display port in 6050-6099')
}

/** An X11 connection setup (little-endian, protocol 11.0) carrying `name`/`data` as its authorization. */
function xSetup(name: string, data: Buffer): Buffer {
  const pad = (b: Buffer): Buffer => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)])
  const head = Buffer.alloc(12)
  head.write('l', 0, 'latin1')
  head.writeUInt16LE(11, 2)
  head.writeUInt16LE(Buffer.byteLength(name), 6)
  head.writeUInt16LE(data.length, 8)
  return Buffer.concat([head, pad(Buffer.from(name, 'latin1')), pad(data)])
}

describe('X11 forwarding with OpenSSH ssh -X', () => {
  const xArgs = ['-X', '-o', 'ForwardX11Trusted=yes', '-o', 'XAuthLocation=/nonexistent']

  it('records the x11-req (protocol, hex cookie, screen) and carries an X connection over openX11Channel to the client\'s display', async () => {
    const x = await fakeXServer()
    try {
      const seen: ServerX11[] = []
      const srv = await fx.listen(() => fx.base({ checkX11Request: (_ch, req) => (seen.push(req), true) }), serveEach(async (ch, t) => {
        const req = ch.x11
        if (!req) return ch.exit(1)
        const xch = await t.openX11Channel(['127.0.0.1', 40000])
        // The client checks the fake cookie it sent us and swaps in the real one (OpenSSH channels.c x11_open_helper).
        xch.end(xSetup(req.protocol, Buffer.from(req.cookie, 'hex')))
        ch.write(`x-answer=${(await collect(xch)).toString()}\n`)
        ch.exit(0)
      }))
      const r = await srv.ssh(xArgs, 'xclient', { DISPLAY: x.display })
      expect(r.stdout).toBe('x-answer=X-HELLO\n')
      expect(seen).toHaveLength(1)
      expect(seen[0]).toMatchObject({ single: false, protocol: 'MIT-MAGIC-COOKIE-1', screen: 0 })
      expect(seen[0]!.cookie).toMatch(/^[0-9a-f]{32}$/)
      // What reached the display: our setup, with the client's real cookie in place of the fake one.
      const setup = await x.received
      expect(setup.subarray(12, 30).toString('latin1')).toBe('MIT-MAGIC-COOKIE-1')
      expect(setup.readUInt16LE(8)).toBe(16)
      expect(setup.subarray(32, 48).toString('hex')).not.toBe(seen[0]!.cookie)
    } finally {
      await new Promise((r) => x.server.close(r))
    }
  })

  it('answers x11-req with failure without checkX11Request: ssh reports it and the command still runs', async () => {
    const srv = await fx.listen(() => fx.base(), serveEach(async (ch) => {
      ch.write(`x11=${ch.x11 === undefined ? 'none' : 'set'}\n`)
      ch.exit(0)
    }))
    const r = await srv.ssh(xArgs, 'xclient', { DISPLAY: '127.0.0.1:99' })
    expect(r.stdout).toBe('x11=none\n')
    expect(r.stderr).toMatch(/X11 forwarding request failed/)
    expect(r.code).toBe(0)
  })
})

describe('Unix-socket remote forwarding with OpenSSH ssh -R path:host:port', () => {
  it('listens on the path checkStreamLocalForwardRequest was asked for and forwards a connection back over openForwardedStreamlocalChannel', async () => {
    await using echo = await startEchoServer()
    const socketPath = join(fx.dir, 'remote.sock')
    let listening!: (l: Server) => void
    const listener = new Promise<Server>((r) => (listening = r))
    const asked: string[] = []
    const srv = await fx.listen((t) => fx.base({
      checkStreamLocalForwardRequest: async (path) => {
        asked.push(path)
        const l = createServer({ allowHalfOpen: true }, (sock) => {
          void t.openForwardedStreamlocalChannel(path).then((ch) => sock.pipe(ch).pipe(sock), () => sock.destroy())
        })
        await new Promise<void>((r) => l.listen(path, r))
        listening(l)
        return true
      },
    }), serveEach(async (ch) => {
      const l = await listener
      try {
        const sock = connect(socketPath)
        sock.end('through the unix socket')
        ch.write(`echoed=${(await collect(sock)).toString()}\n`)
        ch.exit(0)
      } finally {
        await new Promise((r) => l.close(r))
      }
    }))
    const r = await srv.ssh(['-o', 'ExitOnForwardFailure=yes', '-R', `${socketPath}:127.0.0.1:${echo.port}`], 'use-it')
    expect(asked).toEqual([socketPath])
    expect(r.stdout).toBe('echoed=through the unix socket\n')
    expect(r.code).toBe(0)
  })

  it('refuses streamlocal-forward without checkStreamLocalForwardRequest: ExitOnForwardFailure makes ssh exit 255', async () => {
    // The session never ends on its own: only the answered refusal makes ssh exit (unanswered, it would hang to the timeout).
    const srv = await fx.listen(() => fx.base(), serveEach(async (ch) => void ch.resume()))
    const r = await srv.ssh(['-o', 'ExitOnForwardFailure=yes', '-R', `${join(fx.dir, 'refused.sock')}:127.0.0.1:9`], 'use-it')
    expect(r.code).toBe(255)
    expect(r.stderr).toMatch(/remote port forwarding failed for listen path/)
  })
})
