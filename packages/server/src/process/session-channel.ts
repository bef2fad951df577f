import type { Duplex, Writable } from 'node:stream'

/**
 * Describes the pseudo-terminal a client asked for with a `pty-req` (RFC 4254 §6.2).
 *
 * `modes` holds the encoded terminal modes by their RFC 4254 §8 opcode names (`ECHO`, `VINTR`, …).
 */
export interface SessionPty {
  /** The TERM value the client sent ('' when it sent none). */
  readonly term: string
  /** Width in character cells. */
  readonly cols: number
  /** Height in rows. */
  readonly rows: number
  /** Width in pixels (0 when the client did not say). */
  readonly width: number
  /** Height in pixels (0 when the client did not say). */
  readonly height: number
  /** The encoded terminal modes by opcode name, e.g. `{ VINTR: 3, ECHO: 1 }`. */
  readonly modes: Readonly<Record<string, number>>
}

/** Names the events a session channel emits, with their arguments (a named-tuple event map). */
export interface SessionChannelEvents {
  /** A `window-change` request (RFC 4254 §6.7). */
  'window-change': [cols: number, rows: number, width: number, height: number]
  /** A `signal` request (RFC 4254 §6.9): the name without `SIG`, e.g. `'TERM'`. */
  signal: [name: string]
  /** A `break` request (RFC 4335). */
  break: []
}

/**
 * Describes the server side of an accepted session channel, the structural shape {@link runSession}
 * needs; `@x/transport`'s `ServerChannel` has these members, so it is passed as it is.
 *
 * Reading it gives the client's stdin; writing it sends stdout; `stderr` sends extended data.
 * `exit()` and `exitSignal()` must come before `end()` (ssh2 closes a server channel whose writable
 * side has finished: server-mode-anchors G12).
 */
export interface SessionChannelLike extends Duplex {
  /** Sends extended data of type SSH_EXTENDED_DATA_STDERR. */
  readonly stderr: Writable
  /** Sends an `exit-status` request (RFC 4254 §6.10). */
  exit(code: number): void
  /** Sends an `exit-signal` request (RFC 4254 §6.10); `name` has no `SIG` prefix. */
  exitSignal(name: string, coreDumped?: boolean, message?: string): void
  /** The pty the client requested, when it did. */
  readonly pty: SessionPty | undefined
  /** The environment variables the server accepted from `env` requests. */
  readonly env: Readonly<Record<string, string>>
  /** Listens for a session event (typed) or any other stream event. */
  on<K extends keyof SessionChannelEvents>(event: K, listener: (...args: SessionChannelEvents[K]) => void): this
  on(event: string | symbol, listener: (...args: any[]) => void): this
  /** Removes a listener added with `on`. */
  off<K extends keyof SessionChannelEvents>(event: K, listener: (...args: SessionChannelEvents[K]) => void): this
  off(event: string | symbol, listener: (...args: any[]) => void): this
}
