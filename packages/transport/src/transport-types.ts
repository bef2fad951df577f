/** The public types of a {@link Transport}'s API: its events and the shapes its calls return. */
import type { SSHError } from './errors.js'

/** Algorithms agreed in the last key exchange (client → server direction). */
export interface NegotiatedAlgorithms {
  readonly kex: string
  readonly hostKey: string
  readonly cipher: string
  readonly mac: string
  readonly compression: string
  /** Whether strict key exchange (kex-strict-*-v00@openssh.com) is in force. */
  readonly strictKex: boolean
}

/** Typed events of a {@link Transport}. There is never an 'error' event. */
export interface TransportEvents {
  /** The server's pre-authentication banner (RFC 4252 §5.4). */
  banner: [message: string]
  /** Authentication completed: as `username` (the client role's own, or the client's in the server role). */
  authenticated: [username: string]
  /** A key re-exchange completed (either side started it). */
  rekey: [negotiated: NegotiatedAlgorithms]
  /**
   * Bytes arrived from the peer; the running `Transport.bytesRead` and `Transport.bytesWritten`
   * totals. What a RekeyLimit watcher counts on.
   */
  traffic: [bytesRead: number, bytesWritten: number]
  /** The transport closed; `error` says why unless the caller closed it. */
  close: [error?: SSHError]
}

/** The `signal` every async call accepts. */
export interface SignalOption {
  readonly signal?: AbortSignal | undefined
}

/** Answer to a global request sent with `wantReply`. */
export interface GlobalRequestReply {
  readonly accepted: boolean
  readonly data: Buffer
}
