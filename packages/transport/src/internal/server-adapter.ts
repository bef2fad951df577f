/**
 * The server role's adapter over ssh2 1.17's `Server`: one `ssh2.Server` per connection (its
 * net.Server never listens; the stream goes in through `injectSocket`), its config, the event
 * wiring and the fixes for its gaps that need its private state. Everything above it sees
 * {@link ServerProtocol}. The client role's twin is client-adapter.ts.
 */
import type { Duplex } from 'node:stream'
import ssh2, { type Client } from 'ssh2'
import type { RawChannel } from '../channel-duplex.js'
import { fixServerExtInfo, interceptMessage, openAgentChannel, sendIgnore, startRekey, strictKexOf } from './protocol-internals.js'
import type {
  RawAuthRequest,
  RawServerSession,
  RawServerStream,
  RawSessionRequest,
  ServerProtocol,
  ServerProtocolHooks,
  ServerStartConfig,
} from './server-protocol.js'

type Fn = (...args: any[]) => any // eslint-disable-line @typescript-eslint/no-explicit-any
interface Ssh2Conn {
  on(event: string, listener: Fn): unknown
  end(): void
  forwardOut(ba: string, bp: number, ra: string, rp: number, cb: Fn): void
  openssh_forwardOutStreamLocal(path: string, cb: Fn): void
  x11(addr: string, port: number, cb: Fn): void
  _protocol: { channelSuccess(id: number): void; channelFailure(id: number): void }
  _chanMgr: { get(id: number): unknown }
}
interface Ssh2Session {
  on(event: string, listener: Fn): unknown
  _channel?: unknown
  _chanInfo: { outgoing: { id: number } }
}

/**
 * Keeps a channel other than a session half open after our EOF, as sshd does (RFC 4254 §5.3):
 * ssh2 1.17 sends CHANNEL_CLOSE right behind the EOF when a server-side channel's writable side
 * finishes (Channel.js onFinish: `this.server || !this.allowHalfOpen`), which cut off what the
 * client still sent on a forwarding whose local end had shut down its writing half first (an
 * `ssh -R` peer that sends a request and then EOF). With the flag off, the channel closes on the
 * client's CLOSE, which ssh2 answers. The flag's other uses (stderr, exit status, client-only
 * calls) concern sessions only, which keep it.
 */
function halfOpen(raw: unknown): RawChannel {
  ;(raw as { server: boolean }).server = false
  return raw as RawChannel
}

/** Wraps a channel-open callback so the channel it gets is {@link halfOpen}. */
function halfOpenCb(cb: (err: Error | undefined, channel: RawChannel) => void): (err: Error | undefined, channel: unknown) => void {
  return (err, channel) => cb(err, err ? (channel as RawChannel) : halfOpen(channel))
}

/** setInterval's longest period: how ssh2 1.17's built-in server keepalive is kept quiet (G8). */
const NEVER_MS = 2_147_483_647

/**
 * Starts the server role over `sock`. ssh2's keepalive always runs on a server connection
 * (15 s × 3 unless configured), so it gets our explicit values, or a period too long to fire.
 * @internal
 */
export function startServerAdapter(sock: Duplex, config: ServerStartConfig, hooks: ServerProtocolHooks): ServerProtocol {
  const server = new ssh2.Server({
    // ssh2 1.17 parses a non-Buffer entry from its `key` field (server.js:243-246).
    hostKeys: config.hostKeys.map((key) => ({ key })) as never,
    algorithms: config.algorithms as never,
    ...(config.ident ? { ident: config.ident } : {}),
    ...(config.banner ? { banner: config.banner } : {}),
    keepaliveInterval: config.keepalive?.intervalMs ?? NEVER_MS,
    keepaliveCountMax: config.keepalive?.countMax ?? 1_000_000,
    ...(config.debug ? { debug: config.debug } : {}),
  } as never)
  let conn: Ssh2Conn | undefined
  server.on('error', (err: Error) => hooks.onFatal(err))
  server.on('connection', (client: unknown, info: { header?: { identRaw?: string } }) => {
    conn = client as Ssh2Conn
    wire(conn, hooks)
    hooks.onClientVersion(info.header?.identRaw ?? '')
  })
  // Before the client's version line arrives ssh2 has no connection object: watch the stream.
  sock.once('close', () => {
    if (!conn) hooks.onClose()
  })
  server.injectSocket(sock as never)
  return new Ssh2ServerProtocol(() => conn, sock)
}

function wire(conn: Ssh2Conn, hooks: ServerProtocolHooks): void {
  const client = conn as unknown as Client
  fixServerExtInfo(client)
  conn.on('error', (err: Error) => hooks.onFatal(err))
  conn.on('close', () => hooks.onClose())
  conn.on('handshake', (info: { kex: string; serverHostKey: string; cs: { cipher: string; mac: string; compress: string } }) => {
    hooks.onHandshake({ kex: info.kex, hostKey: info.serverHostKey, cipher: info.cs.cipher, mac: info.cs.mac || '', compression: info.cs.compress, strictKex: strictKexOf(client) })
  })
  conn.on('authentication', (ctx: Ssh2AuthContext) => hooks.onAuthRequest(authRequestOf(ctx)))
  conn.on('ready', () => hooks.onAuthenticated())
  conn.on('session', (accept: () => Ssh2Session, reject: () => void) => {
    hooks.onSession(() => sessionOf(accept()), reject)
  })
  conn.on('tcpip', (accept: () => unknown, reject: () => void, info: { srcIP: string; srcPort: number; destIP: string; destPort: number }) => {
    hooks.onDirectTcpip(info, () => halfOpen(accept()), reject)
  })
  conn.on('openssh.streamlocal', (accept: () => unknown, reject: () => void, info: { socketPath: string }) => {
    hooks.onDirectStreamLocal(info.socketPath, () => halfOpen(accept()), reject)
  })
  conn.on('request', (accept: ((port?: number) => void) | undefined, reject: (() => void) | undefined, name: string, data: unknown) => {
    hooks.onGlobalRequest(name, data, accept && reject ? (ok, port) => (ok ? accept(port) : reject()) : undefined)
  })
  // G4: once shell/exec/subsystem started, ssh2 1.17's accept/reject return early without
  // replying (server.js:847, :856), so a want-reply request (env, winadj@putty…) would hang the
  // client. We answer every request on a started session ourselves; 'break' (RFC 4335), unknown
  // to ssh2, is ours in every state.
  interceptMessage(client, 'CHANNEL_REQUEST', (_p, recipient, type, wantReply, data) => {
    const session = conn._chanMgr.get(recipient as number) as (Ssh2Session & { [ours]?: SessionSink }) | undefined
    const sink = session?.[ours]
    if (!session || !sink || (session._channel === undefined && type !== 'break')) return false
    const id = session._chanInfo.outgoing.id
    let replied = false
    const reply = wantReply
      ? (ok: boolean): void => {
          if (replied) return
          replied = true
          // Once our CLOSE is out the channel is gone for the peer: an answer then names a
          // channel it no longer has (PuTTY: "CHANNEL_FAILURE for nonexistent channel", fatal).
          // sshd sends none in this race; nor do we.
          const state = (session._channel as { outgoing?: { state?: string } } | undefined)?.outgoing?.state
          if (state === 'closing' || state === 'closed') return
          if (ok) conn._protocol.channelSuccess(id)
          else conn._protocol.channelFailure(id)
        }
      : undefined
    sink({ type: type as string, data: type === 'signal' ? { name: data } : data, reply })
    return true
  })
  // ssh2 1.17 drops data that arrives on a session before its shell/exec/subsystem is accepted
  // (server.js CHANNEL_DATA: no `_channel` yet). Clients do not wait for the reply: OpenSSH's sftp
  // sends SSH_FXP_INIT right behind the subsystem request, and `ssh host cmd` sends stdin. Keep it
  // (within the window the client was given) for the channel the start creates.
  interceptMessage(client, 'CHANNEL_DATA', (_p, recipient, data) => {
    const session = conn._chanMgr.get(recipient as number) as (Ssh2Session & { [ours]?: SessionSink; _ending?: boolean }) | undefined
    if (!session?.[ours] || session._channel !== undefined || session._ending) return false
    const chunk = data as Buffer
    const incoming = (session._chanInfo as { incoming?: { window: number } }).incoming
    if (!incoming) return false
    if (incoming.window < chunk.length) return true // beyond the window: the client broke the protocol
    incoming.window -= chunk.length
    const early = earlyData.get(session) ?? []
    early.push(Buffer.from(chunk))
    earlyData.set(session, early)
    return true
  })
}

/** Data a session received before it started, by session (see the CHANNEL_DATA intercept). */
const earlyData = new WeakMap<object, Buffer[]>()

type SessionSink = (request: RawSessionRequest) => void
const ours = Symbol('x-session-sink')

interface Ssh2AuthContext {
  username: string
  method: string
  password?: string
  key?: { algo: string; data: Buffer }
  signature?: Buffer
  blob?: Buffer
  hashAlgo?: string
  submethods?: string
  accept(): void
  reject(methods?: string[], partial?: boolean): void
  prompt(prompts: Array<{ prompt: string; echo: boolean }>, title: string, instructions: string, cb: (answers: string[] | Error) => void): void
}

function authRequestOf(ctx: Ssh2AuthContext): RawAuthRequest {
  const base = {
    username: ctx.username,
    method: ctx.method,
    accept: () => ctx.accept(),
    reject: (methods: string[], partial: boolean) => ctx.reject(methods, partial),
  }
  switch (ctx.method) {
    case 'password':
      return { ...base, password: ctx.password ?? '' }
    case 'publickey': {
      const key = ctx.key!
      const signed = ctx.signature && ctx.blob ? { data: ctx.blob, signature: ctx.signature, hash: ctx.hashAlgo } : undefined
      return { ...base, publicKey: { algo: key.algo, blob: key.data, signed } }
    }
    case 'keyboard-interactive':
      return {
        ...base,
        submethods: ctx.submethods ?? '',
        prompt: (name, instructions, prompts, answer) =>
          ctx.prompt(prompts, name, instructions, (answers) => answer(Array.isArray(answers) ? answers : undefined)),
      }
    default:
      return base
  }
}

function sessionOf(session: Ssh2Session): RawServerSession {
  return {
    listen(handler, onClose) {
      ;(session as Ssh2Session & { [ours]?: SessionSink })[ours] = handler
      // ssh2 marks a session `_ending` on the client's EOF as on its CLOSE, and then neither
      // accepts nor rejects a shell/exec/subsystem: `ssh host cmd </dev/null` sends EOF right after
      // the exec request, so the reply was never sent and ssh hung. An EOF before the start is
      // legal (RFC 4254 §5.3): answer anyway, and hand the EOF to the started channel.
      let closed = false
      const s = session as Ssh2Session & { _ending?: boolean }
      const despiteEof = <T>(act: () => T): { value: T; eof: boolean } => {
        const eof = s._ending === true && !closed
        if (eof) s._ending = false
        try {
          return { value: act(), eof }
        } finally {
          if (eof) s._ending = true
        }
      }
      const plain = (type: string) => (accept: (() => void) | undefined, reject: (() => void) | undefined, data: unknown) =>
        handler({ type, data, reply: accept && reject ? (ok) => void despiteEof(ok ? accept : reject) : undefined })
      for (const [event, type] of [['pty', 'pty-req'], ['env', 'env'], ['window-change', 'window-change'], ['signal', 'signal'], ['x11', 'x11-req'], ['auth-agent', 'auth-agent-req@openssh.com']] as const) {
        session.on(event, plain(type))
      }
      const starting = (type: string) => (accept: () => unknown, reject: (() => void) | undefined, data: unknown) =>
        handler({
          type,
          data,
          reply: reject ? (ok) => { if (!ok) despiteEof(reject) } : undefined,
          start: () => {
            const { value, eof } = despiteEof(accept)
            const ch = value as (Duplex & { incoming?: { state: string } }) | undefined
            const early = earlyData.get(session)
            earlyData.delete(session)
            if (ch) for (const chunk of early ?? []) ch.push(chunk)
            if (ch && eof) {
              if (ch.incoming) ch.incoming.state = 'eof'
              ch.push(null)
            }
            return streamOf(ch)
          },
        })
      session.on('shell', starting('shell'))
      session.on('exec', starting('exec'))
      session.on('subsystem', starting('subsystem'))
      session.on('close', () => {
        closed = true
        onClose()
      })
    },
  }
}

function streamOf(channel: unknown): RawServerStream | undefined {
  if (!channel) return undefined
  const ch = channel as RawServerStream & { exit(code: number | string, coreDumped?: boolean, msg?: string): void }
  ch.sendExitStatus = (code) => ch.exit(code)
  ch.sendExitSignal = (name, coreDumped, message) => ch.exit(name, coreDumped, message)
  return ch
}

/** {@link ServerProtocol} over one ssh2 server connection. */
class Ssh2ServerProtocol implements ServerProtocol {
  readonly #conn: () => Ssh2Conn | undefined
  readonly #sock: Duplex

  constructor(conn: () => Ssh2Conn | undefined, sock: Duplex) {
    this.#conn = conn
    this.#sock = sock
  }

  #need(): Ssh2Conn {
    const c = this.#conn()
    if (!c) throw new Error('the SSH connection has not started')
    return c
  }

  get strictKex(): boolean {
    const c = this.#conn()
    return c ? strictKexOf(c as unknown as Client) : false
  }

  openForwardedTcpip(bound: readonly [string, number], origin: readonly [string, number], cb: (err: Error | undefined, channel: RawChannel) => void): void {
    this.#need().forwardOut(bound[0], bound[1], origin[0], origin[1], halfOpenCb(cb))
  }

  openForwardedStreamLocal(socketPath: string, cb: (err: Error | undefined, channel: RawChannel) => void): void {
    this.#need().openssh_forwardOutStreamLocal(socketPath, halfOpenCb(cb))
  }

  openX11(origin: readonly [string, number], cb: (err: Error | undefined, channel: RawChannel) => void): void {
    this.#need().x11(origin[0], origin[1], halfOpenCb(cb))
  }

  openAgent(cb: (err: Error | undefined, channel: RawChannel) => void): void {
    openAgentChannel(this.#need(), halfOpenCb(cb))
  }

  sendIgnore(data: Buffer): void {
    sendIgnore(this.#need() as unknown as Client, data)
  }

  rekey(): boolean {
    return startRekey(this.#need() as unknown as Client)
  }

  end(): void {
    const c = this.#conn()
    if (c) c.end()
    else this.#sock.destroy()
  }
}
