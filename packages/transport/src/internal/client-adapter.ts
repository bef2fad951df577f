/**
 * The client role's adapter over ssh2 1.17's `Client`: the only `new ssh2.Client()`, its connect
 * config, the event wiring (with the error-level triage: authentication errors go on, every
 * other error is fatal), the negotiated-algorithms mapping and the USERAUTH_FAILURE observer.
 * Everything above it sees {@link ClientProtocol}. A server role's twin would sit beside it over
 * ssh2's `Server` connection (`injectSocket`), sharing protocol-internals.ts and translate-error.ts.
 */
import type { Duplex } from 'node:stream'
import ssh2, { type Client, type ClientChannel, type ConnectConfig, type SFTPWrapper } from 'ssh2'
import type { PtyOptions, SessionRequest } from '../session-channel.js'
import type { RawChannel } from '../channel-duplex.js'
import type {
  AuthAttempt,
  ClientConnectConfig,
  ClientProtocol,
  ClientProtocolHooks,
  RawSessionChannel,
  SessionOpenCallback,
} from './client-protocol.js'
import type { SftpWire } from './sftp-wire.js'
import {
  askEnvReplies,
  observeMessage,
  refusedEnvOf,
  sendChannelSignal,
  sendGlobalRequest,
  sendIgnore,
  startRekey,
  strictKexOf,
} from './protocol-internals.js'
import { isNonFatalLevel } from './translate-error.js'

/** ssh2 1.17's 'handshake' event payload. */
interface Ssh2Negotiated {
  kex: string
  serverHostKey: string
  cs: { cipher: string; mac: string; compress: string }
  sc: { cipher: string; mac: string; compress: string }
}

type NextAuth = (attempt: AuthAttempt) => void
type Ssh2ChannelCallback = (err: Error | undefined, channel: ClientChannel) => void

/**
 * Starts SSH as a client over the connected `sock`: version exchange, key exchange with
 * `config.checkHostKey` as ssh2's hostVerifier, then function-form authentication. ssh2's own
 * timers are off (`readyTimeout: 0`, `keepaliveInterval: 0`): the Transport runs its own.
 * @internal
 */
export function startClientAdapter(sock: Duplex, config: ClientConnectConfig, hooks: ClientProtocolHooks): ClientProtocol {
  const client = new ssh2.Client()
  let next: NextAuth | undefined
  let ready = false
  client.on('error', (err: Error) => {
    if (isNonFatalLevel(err)) hooks.onAuthError(err)
    else hooks.onFatal(err)
  })
  client.on('close', () => hooks.onClose())
  client.on('banner', (message: string) => hooks.onBanner(message))
  client.on('handshake', (info: Ssh2Negotiated) => {
    hooks.onHandshake({
      kex: info.kex,
      hostKey: info.serverHostKey,
      cipher: info.cs.cipher,
      mac: info.cs.mac || '',
      compression: info.cs.compress,
      strictKex: strictKexOf(client),
    })
  })
  client.on('ready', () => hooks.onAuthenticated())
  // ssh2's function-form authHandler stores its callback and returns nothing: its first call
  // (methodsLeft === null) means "ready for auth", each later one that an attempt was refused.
  const authHandler = (_methodsLeft: string[] | null, _partial: boolean | null, callback: NextAuth): void => {
    next = callback
    if (!ready) {
      ready = true
      hooks.onReadyForAuth()
    } else {
      hooks.onAuthRefused()
    }
  }
  const connectConfig: ConnectConfig = {
    sock: sock as ConnectConfig['sock'],
    // Each attempt names its user; ssh2 insists on a string here.
    username: '',
    readyTimeout: 0,
    keepaliveInterval: 0,
    authHandler: authHandler as unknown as ConnectConfig['authHandler'],
    hostVerifier: config.checkHostKey as unknown as ConnectConfig['hostVerifier'],
    algorithms: config.algorithms as unknown as ConnectConfig['algorithms'],
    ...(config.debug ? { debug: config.debug } : {}),
    // ssh2 1.17 then requests agent forwarding on every exec/shell session and connects the
    // server's auth-agent@openssh.com channels to this socket.
    // With 'requested', the socket is given without agentForward: ssh2 then asks only for the
    // sessions whose exec/shell options carry agentForward.
    ...(config.agentForwarding ? { agent: config.agentForwarding, agentForward: config.agentForwardingSessions !== 'requested' } : {}),
  }
  client.connect(connectConfig)
  // ssh2 1.17 does not update its methodsLeft after an agent key fails, nor report a partial
  // success seen during agent auth: the auth driver reads USERAUTH_FAILURE itself.
  observeMessage(client, 'USERAUTH_FAILURE', (_proto, methods, partial) => {
    hooks.onAuthFailureMessage(Array.isArray(methods) ? (methods as string[]) : [], partial === true)
  })
  return new Ssh2ClientProtocol(client, () => {
    const callback = next
    next = undefined
    return callback
  })
}

/** {@link ClientProtocol} over one ssh2 Client. */
class Ssh2ClientProtocol implements ClientProtocol {
  readonly #client: Client
  readonly #takeNext: () => NextAuth | undefined

  constructor(client: Client, takeNext: () => NextAuth | undefined) {
    this.#client = client
    this.#takeNext = takeNext
  }

  get strictKex(): boolean {
    return strictKexOf(this.#client)
  }

  authenticate(attempt: AuthAttempt): void {
    const next = this.#takeNext()
    if (!next) throw new Error('the SSH library is not waiting for an authentication method')
    next(attempt)
  }

  openSession(request: SessionRequest, cb: SessionOpenCallback): void {
    const client = this.#client
    const done: Ssh2ChannelCallback = (err, channel) => {
      const raw = channel as unknown as RawSessionChannel
      cb(err, raw, {
        signal: (name) => sendChannelSignal(client, channel, name),
        refusedEnv: () => refusedEnvOf(channel),
      })
    }
    const env = Object.keys(request.env).length > 0 ? request.env : undefined
    if (env) askEnvReplies(client)
    switch (request.kind) {
      case 'exec': {
        const opts: { env?: Record<string, string>; pty?: ReturnType<typeof ptyOf>; agentForward?: boolean } = {}
        if (env) opts.env = env
        if (request.agentForward) opts.agentForward = true
        if (request.pty) opts.pty = ptyOf(request.pty)
        client.exec(request.command, opts, done)
        return
      }
      case 'shell':
        client.shell(request.pty ? ptyOf(request.pty) : false, { ...(env ? { env } : {}), ...(request.agentForward ? { agentForward: true } : {}) }, done)
        return
      case 'subsystem':
        client.subsys(request.name, done)
        return
    }
  }

  openDirectTcpip(src: readonly [string, number], dest: readonly [string, number], cb: (err: Error | undefined, channel: RawChannel) => void): void {
    this.#client.forwardOut(src[0], src[1], dest[0], dest[1], (err, channel) => cb(err, channel as unknown as RawChannel))
  }

  openDirectStreamLocal(socketPath: string, cb: (err: Error | undefined, channel: RawChannel) => void): void {
    this.#client.openssh_forwardOutStreamLocal(socketPath, (err, channel) => cb(err, channel as unknown as RawChannel))
  }

  requestForward(address: string, port: number, cb: (err: Error | undefined, bound: number) => void): void {
    this.#client.forwardIn(address, port, (err, bound) => cb(err, bound))
  }

  cancelForward(address: string, port: number, cb: (err: Error | undefined) => void): void {
    this.#client.unforwardIn(address, port, (err) => cb(err ?? undefined))
  }

  onForwardedTcpip(handler: Parameters<ClientProtocol['onForwardedTcpip']>[0]): void {
    this.#client.on('tcp connection', (info, accept, reject) => {
      handler(info, () => accept() as unknown as RawChannel, reject)
    })
  }

  openSftp(cb: (err: Error | undefined, sftp: SftpWire | undefined) => void): void {
    this.#client.sftp((err: Error | undefined, sftp: SFTPWrapper) => cb(err, err ? undefined : (sftp as unknown as SftpWire)))
  }

  globalRequest(name: string, data: Buffer | undefined, onReply?: (accepted: boolean, data: Buffer | undefined, error?: Error) => void): void {
    sendGlobalRequest(this.#client, name, data, onReply)
  }

  sendIgnore(data: Buffer): void {
    sendIgnore(this.#client, data)
  }

  rekey(): boolean {
    return startRekey(this.#client)
  }

  end(): void {
    this.#client.end()
  }
}

/** ssh2's pty settings from ours, with OpenSSH's defaults (RFC 4254 §6.2). */
function ptyOf(pty: PtyOptions): { term: string; cols: number; rows: number; width: number; height: number; modes?: Record<string, number> } {
  return {
    term: pty.term ?? 'vt100',
    cols: pty.cols ?? 80,
    rows: pty.rows ?? 24,
    width: pty.width ?? 640,
    height: pty.height ?? 480,
    ...(pty.modes ? { modes: pty.modes } : {}),
  }
}
