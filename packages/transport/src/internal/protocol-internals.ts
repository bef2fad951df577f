/**
 * Every reach into ssh2's private state lives here, so an ssh2 upgrade has one file to check.
 * Written against ssh2 1.17.0 (lib/client.js, lib/protocol/Protocol.js, lib/protocol/utils.js).
 * Only the adapters (client-adapter.ts) and the stream helpers at the bottom are used elsewhere.
 */
import { createRequire } from 'node:module'
import type { Client } from 'ssh2'

const require = createRequire(import.meta.url)
const protocolUtils = require('ssh2/lib/protocol/utils.js') as {
  sendPacket(proto: unknown, packet: Buffer, bypass?: boolean): void
}
const cryptoModule = require('ssh2/lib/protocol/crypto.js') as { bindingAvailable: boolean }

const MSG_IGNORE = 2
const MSG_GLOBAL_REQUEST = 80

interface PacketWriter {
  allocStart: number
  alloc(size: number): Buffer
  finalize(packet: Buffer): Buffer
}

interface ProtocolInternals {
  _packetRW: { write: PacketWriter }
  _handlers: Record<string, (...args: unknown[]) => void>
  _strictMode?: boolean
  _kexinit?: unknown
}

interface ClientInternals {
  _protocol?: ProtocolInternals
  _callbacks?: Array<(hadError: boolean | Error, data?: Buffer) => void>
}

function protocolOf(client: Client): ProtocolInternals {
  const proto = (client as unknown as ClientInternals)._protocol
  if (!proto) throw new Error('ssh2 protocol is not initialised')
  return proto
}

/** Whether ssh2's native crypto binding (AES-GCM, chacha20-poly1305 fast paths) loaded. @internal */
export const nativeCryptoLoaded: boolean = cryptoModule.bindingAvailable === true

/**
 * Wraps one of ssh2's incoming-message handlers so `observe` sees the message first.
 * ssh2 1.17 does not update its `methodsLeft` after an agent key fails, nor report a
 * partial success seen during agent auth, so the auth driver records USERAUTH_FAILURE itself.
 * @internal
 */
export function observeMessage(client: Client, name: string, observe: (...args: unknown[]) => void): void {
  const handlers = protocolOf(client)._handlers
  const original = handlers[name]
  handlers[name] = (...args: unknown[]) => {
    observe(...args)
    original?.(...args)
  }
}

/** Whether strict key exchange (the Terrapin countermeasure) is in force on this connection. @internal */
export function strictKexOf(client: Client): boolean {
  return (client as unknown as ClientInternals)._protocol?._strictMode === true
}

/** Whether a key exchange is in progress. @internal */
export function kexInProgress(client: Client): boolean {
  return (client as unknown as ClientInternals)._protocol?._kexinit !== undefined
}

function sshString(value: string | Buffer): Buffer {
  const body = typeof value === 'string' ? Buffer.from(value, 'utf8') : value
  const len = Buffer.alloc(4)
  len.writeUInt32BE(body.length)
  return Buffer.concat([len, body])
}

function sendPayload(client: Client, payload: Buffer): void {
  const proto = protocolOf(client)
  const writer = proto._packetRW.write
  const start = writer.allocStart
  const packet = writer.alloc(payload.length)
  payload.copy(packet, start)
  protocolUtils.sendPacket(proto, writer.finalize(packet))
}

/**
 * Sends SSH_MSG_GLOBAL_REQUEST (RFC 4254 §4). With `onReply`, the reply is matched in order
 * through ssh2's own callback queue (the one its keepalive and tcpip-forward use), so replies
 * stay paired with requests.
 * @internal
 */
export function sendGlobalRequest(
  client: Client,
  name: string,
  data: Buffer | undefined,
  onReply?: (ok: boolean, data: Buffer | undefined, error?: Error) => void,
): void {
  const callbacks = (client as unknown as ClientInternals)._callbacks
  if (onReply && !callbacks) throw new Error('ssh2 callback queue is not initialised')
  const payload = Buffer.concat([
    Buffer.from([MSG_GLOBAL_REQUEST]),
    sshString(name),
    Buffer.from([onReply ? 1 : 0]),
    data ?? Buffer.alloc(0),
  ])
  if (onReply) {
    callbacks!.push((hadError, replyData) => {
      if (hadError instanceof Error) onReply(false, undefined, hadError)
      else onReply(!hadError, replyData)
    })
  }
  sendPayload(client, payload)
}

/** Sends SSH_MSG_IGNORE with `data` (RFC 4253 §11.2). @internal */
export function sendIgnore(client: Client, data: Buffer): void {
  sendPayload(client, Buffer.concat([Buffer.from([MSG_IGNORE]), sshString(data)]))
}

/**
 * Starts a key re-exchange (RFC 4253 §9); ssh2 1.17's Client has no public rekey(). Returns
 * false when an exchange is already running (its completion serves the caller as well).
 * @internal
 */
export function startRekey(client: Client): boolean {
  const proto = protocolOf(client) as ProtocolInternals & { rekey(): void }
  if (proto._kexinit !== undefined) return false
  proto.rekey()
  return true
}

/** ssh2's default and supported algorithm lists, by our option names. @internal */
export interface AlgorithmTables {
  readonly defaults: Readonly<Record<'kex' | 'serverHostKey' | 'cipher' | 'mac' | 'compress', readonly string[]>>
  readonly supported: Readonly<Record<'kex' | 'serverHostKey' | 'cipher' | 'mac' | 'compress', readonly string[]>>
}

const constants = require('ssh2/lib/protocol/constants.js') as Record<string, string[]>

/** The algorithm tables of the installed ssh2 (they depend on OpenSSL and the native binding). @internal */
export const algorithmTables: AlgorithmTables = Object.freeze({
  defaults: Object.freeze({
    kex: Object.freeze([...constants['DEFAULT_KEX']!]),
    serverHostKey: Object.freeze([...constants['DEFAULT_SERVER_HOST_KEY']!]),
    cipher: Object.freeze([...constants['DEFAULT_CIPHER']!]),
    mac: Object.freeze([...constants['DEFAULT_MAC']!]),
    compress: Object.freeze([...constants['DEFAULT_COMPRESSION']!]),
  }),
  supported: Object.freeze({
    kex: Object.freeze([...constants['SUPPORTED_KEX']!]),
    serverHostKey: Object.freeze([...constants['SUPPORTED_SERVER_HOST_KEY']!]),
    cipher: Object.freeze([...constants['SUPPORTED_CIPHER']!]),
    mac: Object.freeze([...constants['SUPPORTED_MAC']!]),
    compress: Object.freeze([...constants['SUPPORTED_COMPRESSION']!]),
  }),
})

/**
 * Whether the server's end of an ssh2 channel's data arrived (SSH_MSG_CHANNEL_EOF, RFC 4254
 * §5.3): ssh2 1.17 pushes the end of its readable side on EOF, before anyone has read it.
 * @internal
 */
export function peerSentEof(channel: unknown): boolean {
  return (channel as { _readableState?: { ended?: boolean } })._readableState?.ended === true
}

/**
 * Whether an ssh2 channel (or SFTP wrapper) can still carry requests. ssh2 1.17 writes requests
 * into a closed channel without complaint and never answers them, so callers check first.
 * @internal
 */
export function channelWritable(channel: unknown): boolean {
  const outgoing = (channel as { outgoing?: { state?: unknown } }).outgoing
  return outgoing?.state === undefined || outgoing.state === 'open'
}

/**
 * The extensions the SFTP server advertised in its VERSION packet (name → data), which ssh2 1.17
 * keeps in the wrapper's private `_extensions` and only consults inside its `ext_*` methods.
 * @internal
 */
export function sftpExtensions(wrapper: unknown): Readonly<Record<string, string>> {
  const extensions = (wrapper as { _extensions?: unknown })._extensions
  return typeof extensions === 'object' && extensions !== null ? (extensions as Record<string, string>) : {}
}

interface RawChannelInternals {
  type?: string
  outgoing?: { id?: number; state?: string }
}

/**
 * Sends a `signal` channel request (RFC 4254 §6.9, no reply asked) and tells whether it went
 * out. ssh2 1.17's `Channel.signal()` does nothing once its writable side ended, yet RFC 4254
 * lets a client send channel requests after its own EOF (§5.3): a command whose stdin we closed
 * must still be signallable. Refused only once a CLOSE was sent or received.
 * @internal
 */
export function sendChannelSignal(client: Client, channel: unknown, name: string): boolean {
  const raw = channel as RawChannelInternals
  const state = raw.outgoing?.state
  const proto = (client as unknown as ClientInternals)._protocol as (ProtocolInternals & { signal(id: number, name: string): void }) | undefined
  if (raw.type !== 'session' || (state !== 'open' && state !== 'eof') || raw.outgoing?.id === undefined || !proto) return false
  proto.signal(raw.outgoing.id, name)
  return true
}

/** Names of env requests a server refused, per ssh2 channel. */
const envRefusals = new WeakMap<object, string[]>()
const envPatched = new WeakSet<object>()

interface EnvCapableProtocol {
  env(id: number, key: string, value: string, wantReply: boolean): void
}

/**
 * Makes ssh2 ask for a reply to every `env` request its exec/shell sends on `client` (RFC 4254
 * §6.4), and records the names the server refused ({@link refusedEnvOf}). ssh2 1.17 sends them
 * without want-reply, so sshd's refusal (a name outside AcceptEnv) is silent. The reply
 * callback goes on the channel's own queue before the exec request's, as the server answers
 * in order.
 * @internal
 */
export function askEnvReplies(client: Client): void {
  const proto = protocolOf(client) as unknown as EnvCapableProtocol
  if (envPatched.has(proto)) return
  envPatched.add(proto)
  const original = proto.env.bind(proto)
  proto.env = (id, key, value, wantReply) => {
    const chan = wantReply ? undefined : sessionByOutgoingId(client, id)
    if (!chan) {
      original(id, key, value, wantReply)
      return
    }
    chan._callbacks.push((hadError: unknown) => {
      if (hadError === false) return
      const list = envRefusals.get(chan) ?? []
      list.push(key)
      envRefusals.set(chan, list)
    })
    original(id, key, value, true)
  }
}

/** The env names the server refused on this ssh2 channel (see {@link askEnvReplies}). @internal */
export function refusedEnvOf(channel: unknown): readonly string[] {
  return typeof channel === 'object' && channel !== null ? [...(envRefusals.get(channel) ?? [])] : []
}

function sessionByOutgoingId(client: Client, id: number): { _callbacks: Array<(hadError: unknown) => void> } | undefined {
  const channels = (client as unknown as { _chanMgr?: { _channels?: Record<string, unknown> } })._chanMgr?._channels
  for (const value of Object.values(channels ?? {})) {
    const chan = value as { type?: string; outgoing?: { id?: number }; _callbacks?: Array<(hadError: unknown) => void> }
    if (chan?.type === 'session' && chan.outgoing?.id === id && Array.isArray(chan._callbacks)) return chan as { _callbacks: Array<(hadError: unknown) => void> }
  }
  return undefined
}

/**
 * Replaces one of ssh2's incoming-message handlers: `intercept` sees the message first and
 * returns true when it handled it (ssh2's own handler is then skipped). The server adapter uses
 * it to answer channel requests that ssh2 1.17 leaves unanswered once a session started.
 * @internal
 */
export function interceptMessage(client: Client, name: string, intercept: (...args: unknown[]) => boolean): void {
  const handlers = protocolOf(client)._handlers
  const original = handlers[name]
  handlers[name] = (...args: unknown[]) => {
    if (!intercept(...args)) original?.(...args)
  }
}

const MSG_EXT_INFO = 7

/**
 * The server-sig-algs we advertise (RFC 8308 §3.1): what verify-signature.ts checks.
 * @internal
 */
export const SERVER_SIG_ALGS = 'ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256'

/**
 * Corrects the EXT_INFO a server connection sends after its first key exchange. ssh2 1.17's
 * sendExtInfo (Protocol.js:2111-2114) concatenates 'ecdsa-sha2-nistp521' and 'rsa-sha2-512'
 * without a comma, so the list a client reads names neither: OpenSSH then finds "no mutual
 * signature algorithm" for an rsa key limited to rsa-sha2-512 (and for ecdsa-sha2-nistp521).
 * The packet is written, finalized and sent inside `_onHandshakeComplete`, so for the
 * duration of the first call of it, the writer's finalize swaps an EXT_INFO payload for one
 * carrying {@link SERVER_SIG_ALGS}.
 * @internal
 */
export function fixServerExtInfo(client: Client): void {
  const proto = protocolOf(client) as ProtocolInternals & { _onHandshakeComplete?: (...args: unknown[]) => unknown }
  const original = proto._onHandshakeComplete
  if (typeof original !== 'function') throw new Error('ssh2 _onHandshakeComplete is not initialised')
  proto._onHandshakeComplete = (...args: unknown[]) => {
    proto._onHandshakeComplete = original
    const writer = proto._packetRW.write
    const finalize = writer.finalize
    writer.finalize = function (this: PacketWriter, packet: Buffer, ...rest: unknown[]) {
      const start = writer.allocStart
      if (packet[start] !== MSG_EXT_INFO) return (finalize as (...a: unknown[]) => Buffer).call(writer, packet, ...rest)
      const payload = Buffer.concat([Buffer.from([MSG_EXT_INFO, 0, 0, 0, 1]), sshString('server-sig-algs'), sshString(SERVER_SIG_ALGS)])
      const fixed = writer.alloc(payload.length)
      payload.copy(fixed, start)
      return (finalize as (...a: unknown[]) => Buffer).call(writer, fixed, ...rest)
    } as PacketWriter['finalize']
    try {
      return original.apply(proto, args)
    } finally {
      writer.finalize = finalize
    }
  }
}

const channelModule = require('ssh2/lib/Channel.js') as { MAX_WINDOW: number; PACKET_SIZE: number }

interface ServerConnInternals {
  _chanMgr: { add(value: unknown): number }
  _protocol: { openssh_authAgent(chan: number, initWindow: number, maxPacket: number): void }
}

/**
 * Asks the client to open an auth-agent@openssh.com channel (OpenSSH PROTOCOL.agent). ssh2
 * 1.17's server `openChannel` knows only forwarded-tcpip, x11 and forwarded-streamlocal
 * (server.js:1335-1372), though its Protocol can write the open (`openssh_authAgent`,
 * Protocol.js:1618): we reserve the channel as `openChannel` does, with a callback tagged by
 * type, so ssh2's own CHANNEL_OPEN_CONFIRMATION / FAILURE handlers settle it.
 * @internal
 */
export function openAgentChannel(conn: unknown, cb: (err: Error | undefined, channel: unknown) => void): void {
  const c = conn as ServerConnInternals
  const settle = (err: Error | undefined, channel: unknown): void => cb(err, channel)
  ;(settle as unknown as { type: string }).type = 'auth-agent@openssh.com'
  const id = c._chanMgr.add(settle)
  if (id === -1) {
    cb(new Error('No free channels available'), undefined)
    return
  }
  c._protocol.openssh_authAgent(id, channelModule.MAX_WINDOW, channelModule.PACKET_SIZE)
}
