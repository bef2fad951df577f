/**
 * The narrow interface between the server role and the SSH protocol library: what
 * server/*.ts may ask of one server connection and the hooks through which it reports back,
 * in this library's own terms, so that only `server-adapter.ts` knows ssh2. The client
 * role's twin is client-protocol.ts.
 */
import type { Writable } from 'node:stream'
import type { RawChannel } from '../channel-duplex.js'
import type { HandshakeInfo } from './client-protocol.js'

/** A publickey request's key, and its signature when the client sent one (RFC 4252 §7). @internal */
export interface RawPublicKeyRequest {
  /** The key type the request names ('ssh-rsa' for rsa-sha2-*). */
  readonly algo: string
  /** The public key blob (RFC 4253 §6.6). */
  readonly blob: Buffer
  /** Present when the request carries a signature: the signed bytes and the DER/raw signature. */
  readonly signed?: { readonly data: Buffer; readonly signature: Buffer; readonly hash: string | undefined } | undefined
}

/** One SSH_MSG_USERAUTH_REQUEST as the protocol library hands it over. @internal */
export interface RawAuthRequest {
  readonly username: string
  readonly method: string
  readonly password?: string | undefined
  readonly publicKey?: RawPublicKeyRequest | undefined
  readonly submethods?: string | undefined
  /** keyboard-interactive only: sends INFO_REQUEST; `answer` gets the responses or undefined when aborted. */
  readonly prompt?: ((name: string, instructions: string, prompts: Array<{ prompt: string; echo: boolean }>, answer: (responses: string[] | undefined) => void) => void) | undefined
  /** Accepts: USERAUTH_SUCCESS, or PK_OK for a publickey query without signature. */
  accept(): void
  /** Refuses with the methods that may continue (RFC 4252 §5.1). */
  reject(methods: string[], partialSuccess: boolean): void
}

/** A session channel's data stream once shell/exec/subsystem started (ssh2 1.17 server `Channel`). @internal */
export interface RawServerStream extends RawChannel {
  readonly stderr: Writable
  /** Sends exit-status (RFC 4254 §6.10). */
  sendExitStatus(code: number): void
  /** Sends exit-signal (RFC 4254 §6.10). */
  sendExitSignal(name: string, coreDumped: boolean, message: string): void
}

/** A request on an open session channel (RFC 4254 §6). `reply` is set when the client wants one. @internal */
export interface RawSessionRequest {
  readonly type: string
  readonly data: unknown
  readonly reply?: ((ok: boolean) => void) | undefined
  /** shell/exec/subsystem: accepts (replying SUCCESS when asked) and returns the data stream. */
  readonly start?: (() => RawServerStream | undefined) | undefined
}

/** One session channel between open and close. @internal */
export interface RawServerSession {
  /** Routes every request to `handler` and the channel's close to `onClose`. */
  listen(handler: (request: RawSessionRequest) => void, onClose: () => void): void
}

/** What the server connection reports to its owner. @internal */
export interface ServerProtocolHooks {
  /** The version exchange is done; `clientVersion` is the peer's ident line. */
  onClientVersion(clientVersion: string): void
  onHandshake(info: HandshakeInfo): void
  onAuthRequest(request: RawAuthRequest): void
  onAuthenticated(): void
  onSession(accept: () => RawServerSession, reject: () => void): void
  onDirectTcpip(info: { srcIP: string; srcPort: number; destIP: string; destPort: number }, accept: () => RawChannel, reject: () => void): void
  onDirectStreamLocal(socketPath: string, accept: () => RawChannel, reject: () => void): void
  /** A global request; `reply` is set when the client wants an answer (with the bound port for tcpip-forward 0). */
  onGlobalRequest(name: string, data: unknown, reply: ((ok: boolean, port?: number) => void) | undefined): void
  onFatal(raw: Error): void
  onClose(): void
}

/** How to start the server role over a stream. @internal */
export interface ServerStartConfig {
  readonly hostKeys: readonly unknown[]
  readonly algorithms: Record<string, string[]>
  /** Our version line's software part; the protocol library sends `SSH-2.0-` before it. */
  readonly ident: string | undefined
  readonly banner: string | undefined
  readonly keepalive: { readonly intervalMs: number; readonly countMax: number } | undefined
  readonly debug?: ((message: string) => void) | undefined
}

/** One server connection, as the server role uses it. @internal */
export interface ServerProtocol {
  readonly strictKex: boolean
  openForwardedTcpip(bound: readonly [string, number], origin: readonly [string, number], cb: (err: Error | undefined, channel: RawChannel) => void): void
  openForwardedStreamLocal(socketPath: string, cb: (err: Error | undefined, channel: RawChannel) => void): void
  openX11(origin: readonly [string, number], cb: (err: Error | undefined, channel: RawChannel) => void): void
  /** Opens an auth-agent@openssh.com channel to the client's agent. */
  openAgent(cb: (err: Error | undefined, channel: RawChannel) => void): void
  sendIgnore(data: Buffer): void
  rekey(): boolean
  end(): void
}
