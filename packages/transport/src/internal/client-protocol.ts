/**
 * The narrow interface between the client role and the SSH protocol library: what Transport,
 * channels.ts, forwarding.ts and auth.ts may ask of one client connection, and the hooks through
 * which the connection reports back. Written in this library's own terms, so that only
 * `client-adapter.ts` knows ssh2; a server role gets a twin of this file over ssh2's Server.
 */
import type { Readable } from 'node:stream'
import type { SessionRequest } from '../session-channel.js'
import type { RawChannel } from '../channel-duplex.js'
import type { ProtocolKey } from './protocol-keys.js'
import type { NegotiatedAlgorithms } from '../transport-types.js'
import type { SftpWire } from './sftp-wire.js'

/** One keyboard-interactive round as the protocol library asks it (RFC 4256 §3.2). @internal */
export type AuthPrompt = (
  name: string,
  instructions: string,
  lang: string,
  prompts: Array<{ prompt: string; echo?: boolean }>,
  finish: (answers: string[]) => void,
) => void

/** One authentication attempt handed to the connection. @internal */
export type AuthAttempt =
  | { type: 'none'; username: string }
  | { type: 'password'; username: string; password: string }
  | { type: 'publickey'; username: string; key: ProtocolKey }
  | { type: 'agent'; username: string; agent: string }
  | { type: 'keyboard-interactive'; username: string; prompt: AuthPrompt }

/** Called once a channel-opening call finished: an error, or the channel. @internal */
export type OpenCallback = (err: Error | undefined, channel: RawChannel) => void

/** A session channel's stream as the protocol library gives it: stdout/stdin plus stderr. @internal */
export interface RawSessionChannel extends RawChannel {
  /** Extended data of type 1 (RFC 4254 §5.2). */
  readonly stderr: Readable
  /** Sends window-change (RFC 4254 §6.7). */
  setWindow(rows: number, cols: number, height: number, width: number): void
}

/** Requests on a started session that the protocol library does not offer as we need them. @internal */
export interface SessionControl {
  /** Sends a `signal` request (RFC 4254 §6.9), also after our EOF; false once CLOSE went either way. */
  signal(name: string): boolean
  /** The env names the server refused (RFC 4254 §6.4), known once the first request was answered. */
  refusedEnv(): readonly string[]
}

/** Called once a session opened with its first request: an error, or the channel and its controls. @internal */
export type SessionOpenCallback = (err: Error | undefined, channel: RawSessionChannel, control: SessionControl) => void

/** Where a forwarded-tcpip channel (RFC 4254 §7.2) came from and which listener it arrived on. @internal */
export interface ForwardedTcpipInfo {
  readonly destIP: string
  readonly destPort: number
  readonly srcIP: string
  readonly srcPort: number
}

/** The algorithms of one key exchange, in this library's names: the public shape. @internal */
export type HandshakeInfo = NegotiatedAlgorithms

/** What the connection reports to its owner. @internal */
export interface ClientProtocolHooks {
  /** The handshake is done and the server waits for the first authentication method. */
  onReadyForAuth(): void
  /** The server refused the attempt in flight (the next attempt may be sent). */
  onAuthRefused(): void
  /** SSH_MSG_USERAUTH_FAILURE arrived, as the server sent it (RFC 4252 §5.1). */
  onAuthFailureMessage(methods: string[], partialSuccess: boolean): void
  /** A non-fatal error during authentication (an agent or a signing failure). */
  onAuthError(err: Error): void
  /** The server accepted authentication (SSH_MSG_USERAUTH_SUCCESS). */
  onAuthenticated(): void
  /** A key exchange completed, the first or a re-key. */
  onHandshake(info: HandshakeInfo): void
  /** The server's pre-authentication banner (RFC 4252 §5.4). */
  onBanner(message: string): void
  /** A fatal error: the connection is unusable. `raw` goes to translate-error.ts. */
  onFatal(raw: Error): void
  /** The connection closed (after which the library closes its channels). */
  onClose(): void
}

/** How to start a client connection over a connected stream. @internal */
export interface ClientConnectConfig {
  /** The host-key check's bridge: `verify(true)` accepts the key blob. */
  readonly checkHostKey: (keyBlob: Buffer, verify: (ok: boolean) => void) => void
  /** Algorithm lists by the library's option names (see algorithms.ts). */
  readonly algorithms: Record<string, string[]>
  readonly debug?: ((message: string) => void) | undefined
  /** An agent socket to forward to sessions (auth-agent@openssh.com), when set. */
  readonly agentForwarding?: string | undefined
  /** 'all': every exec/shell session requests it; 'requested': those whose request says so. */
  readonly agentForwardingSessions?: 'all' | 'requested' | undefined
}

/** One client connection, as Transport and its helpers use it. @internal */
export interface ClientProtocol {
  /** Whether strict key exchange (kex-strict-*-v00@openssh.com) is in force. */
  readonly strictKex: boolean
  /** Sends one authentication attempt; the outcome arrives through the hooks. */
  authenticate(attempt: AuthAttempt): void
  /** Opens a session channel together with its first request (exec, shell, subsystem). */
  openSession(request: SessionRequest, cb: SessionOpenCallback): void
  /** Opens a direct-tcpip channel (RFC 4254 §7.2). */
  openDirectTcpip(src: readonly [string, number], dest: readonly [string, number], cb: OpenCallback): void
  /** Opens a direct-streamlocal@openssh.com channel (OpenSSH PROTOCOL §2.4). */
  openDirectStreamLocal(socketPath: string, cb: OpenCallback): void
  /** Sends tcpip-forward (RFC 4254 §7.1); `bound` is the port the server chose for port 0. */
  requestForward(address: string, port: number, cb: (err: Error | undefined, bound: number) => void): void
  /** Sends cancel-tcpip-forward. */
  cancelForward(address: string, port: number, cb: (err: Error | undefined) => void): void
  /** Routes incoming forwarded-tcpip channels to `handler`, which accepts or rejects each. */
  onForwardedTcpip(handler: (info: ForwardedTcpipInfo, accept: () => RawChannel, reject: () => void) => void): void
  /** Opens the sftp subsystem on a new session channel. */
  openSftp(cb: (err: Error | undefined, sftp: SftpWire | undefined) => void): void
  /** Sends a global request (RFC 4254 §4); with `onReply`, asks for and awaits the answer. */
  globalRequest(name: string, data: Buffer | undefined, onReply?: (accepted: boolean, data: Buffer | undefined, error?: Error) => void): void
  /** Sends SSH_MSG_IGNORE with `data` (RFC 4253 §11.2). */
  sendIgnore(data: Buffer): void
  /** Starts a key re-exchange; false when one is already running. */
  rekey(): boolean
  /** Sends SSH_MSG_DISCONNECT and ends the stream. */
  end(): void
}
