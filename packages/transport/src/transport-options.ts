import type { Duplex } from 'node:stream'
import type { HostKeyVerifier } from './host-keys/verifiers.js'
import type { ServerRoleOptions } from './server/server-options.js'

/** Algorithm preferences, each a list in order of preference (OpenSSH names). */
export interface AlgorithmOptions {
  readonly kex?: readonly string[] | undefined
  readonly cipher?: readonly string[] | undefined
  readonly mac?: readonly string[] | undefined
  readonly serverHostKey?: readonly string[] | undefined
  readonly compress?: readonly string[] | undefined
}

/** Per-phase time limits in milliseconds; 0 disables one. */
export interface TransportTimeouts {
  /** TCP connect (only when the Transport dials). Default 20 000. */
  readonly connectMs?: number | undefined
  /** Version exchange, key exchange and host-key check. Default 20 000. */
  readonly handshakeMs?: number | undefined
  /** Each authentication attempt, paused while a keyboard-interactive handler waits. Default 30 000. */
  readonly authMs?: number | undefined
  /** Opening a channel, a session request, a global request. Default 30 000. */
  readonly channelMs?: number | undefined
}

/** Keepalive settings (OpenSSH ServerAliveInterval / ServerAliveCountMax). */
export interface KeepaliveOptions {
  readonly intervalMs: number
  readonly countMax?: number | undefined
}

/** Options of `new Transport(...)`, for either role; validated once, never mutated. */
export interface TransportOptions {
  /** Decides whether the server's host key is accepted. Default: strict known_hosts over the user's files. */
  readonly hostKeyVerifier?: HostKeyVerifier | undefined
  /** Name the host key is checked under when `sock` is given (and in messages). */
  readonly hostname?: string | undefined
  /** Port the host key is checked under when `sock` is given. Default 22. */
  readonly port?: number | undefined
  readonly algorithms?: AlgorithmOptions | undefined
  /** Starts keepalive once authenticated; `setKeepalive()` changes it later. */
  readonly keepalive?: KeepaliveOptions | undefined
  readonly timeouts?: TransportTimeouts | undefined
  /** Offers zlib@openssh.com/zlib compression. Default false. */
  readonly compression?: boolean | undefined
  /** Refuses, before authentication, a server that does not do strict key exchange (Terrapin countermeasure). */
  readonly requireStrictKex?: boolean | undefined
  /** Receives the protocol library's debug trace, one line per call. Never receives secrets. */
  readonly debug?: ((line: string) => void) | undefined
  /** How long `close()` waits for the peer before destroying the socket. Default 2 000. */
  readonly closeGraceMs?: number | undefined
  /**
   * Forwards this agent socket to the server (`ssh -A`): every exec and shell session requests
   * agent forwarding, and the server's agent channels are connected to this socket.
   */
  readonly agentForwarding?: string | undefined
  /**
   * Which sessions forward the agent of `agentForwarding`: `'all'` (default, as `ssh -A`) or
   * `'requested'` — only those that call {@link SessionChannel.requestAgentForwarding} (a
   * router forwarding each client session's agent only when the client asked).
   */
  readonly agentForwardingSessions?: 'all' | 'requested' | undefined
  /**
   * What only the server role reads (version, banner, attempt cap, login grace, the peer's
   * address over a non-TCP stream). The server role also reads `algorithms.kex` (group
   * exchange removed), `keepalive` and `closeGraceMs`; the rest is the client role's.
   */
  readonly server?: ServerRoleOptions | undefined
}

/** Where a Transport connects: a ready byte stream, 'host:port', or `{ host, port }`. */
export type TransportTarget = Duplex | string | { readonly host: string; readonly port?: number | undefined }

/** Options after validation. @internal */
export interface ResolvedTransportOptions {
  readonly hostKeyVerifier: HostKeyVerifier | undefined
  readonly algorithms: AlgorithmOptions
  readonly keepalive: { intervalMs: number; countMax: number } | undefined
  readonly timeouts: Required<TransportTimeouts>
  readonly compression: boolean
  readonly requireStrictKex: boolean
  readonly debug: ((line: string) => void) | undefined
  readonly closeGraceMs: number
  readonly agentForwarding: string | undefined
  readonly agentForwardingSessions: 'all' | 'requested'
}

function checkMs(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a finite number of milliseconds ≥ 0, got ${String(value)}`)
  }
  return value
}

function checkList(value: unknown, name: string): readonly string[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && v !== '')) {
    throw new TypeError(`algorithms.${name} must be a non-empty array of algorithm names`)
  }
  return Object.freeze([...value])
}

/** Validates `options` into a frozen object. @internal */
export function resolveTransportOptions(options: TransportOptions = {}): ResolvedTransportOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object')
  if (options.hostKeyVerifier !== undefined && typeof options.hostKeyVerifier !== 'function') {
    throw new TypeError('hostKeyVerifier must be a function')
  }
  if (options.debug !== undefined && typeof options.debug !== 'function') throw new TypeError('debug must be a function')
  // A security switch must never be turned off by a typo ('true', 1): only a boolean is accepted.
  if (options.requireStrictKex !== undefined && typeof options.requireStrictKex !== 'boolean') {
    throw new TypeError(`requireStrictKex must be a boolean, got ${typeof options.requireStrictKex}`)
  }
  if (options.agentForwarding !== undefined && (typeof options.agentForwarding !== 'string' || options.agentForwarding === '')) {
    throw new TypeError('agentForwarding must be the path of an agent socket')
  }
  if (options.agentForwardingSessions !== undefined && options.agentForwardingSessions !== 'all' && options.agentForwardingSessions !== 'requested') {
    throw new TypeError("agentForwardingSessions must be 'all' or 'requested'")
  }
  const t = options.timeouts ?? {}
  const a = options.algorithms ?? {}
  let keepalive: ResolvedTransportOptions['keepalive']
  if (options.keepalive !== undefined) {
    const intervalMs = checkMs(options.keepalive.intervalMs, 'keepalive.intervalMs', 0)
    const countMax = options.keepalive.countMax ?? 3
    if (!Number.isInteger(countMax) || countMax < 0) throw new RangeError('keepalive.countMax must be an integer ≥ 0')
    keepalive = intervalMs > 0 ? Object.freeze({ intervalMs, countMax }) : undefined
  }
  const algorithms: AlgorithmOptions = {}
  for (const key of ['kex', 'cipher', 'mac', 'serverHostKey', 'compress'] as const) {
    const list = checkList(a[key], key)
    if (list) (algorithms as Record<string, readonly string[]>)[key] = list
  }
  return Object.freeze({
    hostKeyVerifier: options.hostKeyVerifier,
    algorithms: Object.freeze(algorithms),
    keepalive,
    timeouts: Object.freeze({
      connectMs: checkMs(t.connectMs, 'timeouts.connectMs', 20_000),
      handshakeMs: checkMs(t.handshakeMs, 'timeouts.handshakeMs', 20_000),
      authMs: checkMs(t.authMs, 'timeouts.authMs', 30_000),
      channelMs: checkMs(t.channelMs, 'timeouts.channelMs', 30_000),
    }),
    compression: options.compression === true,
    requireStrictKex: options.requireStrictKex === true,
    debug: options.debug,
    closeGraceMs: checkMs(options.closeGraceMs, 'closeGraceMs', 2_000),
    agentForwarding: options.agentForwarding,
    agentForwardingSessions: options.agentForwardingSessions ?? 'all',
  })
}

/** Parses 'host', 'host:port', '[v6]:port' or `{ host, port }`. @internal */
export function parseTarget(target: string | { readonly host: string; readonly port?: number | undefined }): { host: string; port: number } {
  if (typeof target === 'object') {
    if (typeof target.host !== 'string' || target.host === '') throw new TypeError('target.host must be a non-empty string')
    return { host: target.host, port: checkPort(target.port ?? 22) }
  }
  if (typeof target !== 'string' || target === '') throw new TypeError('target must be a non-empty string')
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(target)
  if (v6) return { host: v6[1]!, port: checkPort(v6[2] === undefined ? 22 : Number(v6[2])) }
  const colon = target.lastIndexOf(':')
  if (colon > 0 && target.indexOf(':') === colon) {
    return { host: target.slice(0, colon), port: checkPort(Number(target.slice(colon + 1))) }
  }
  return { host: target, port: 22 }
}

function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`port must be an integer 1–65535, got ${port}`)
  return port
}
