/** Options of a server-role Transport, validated once. */
import { algorithmTables } from '../internal/protocol-internals.js'

/** Options of {@link ServerTransport}. */
export interface ServerTransportOptions {
  /** Our version line's software part, e.g. 'XSSH_1.0' (sent as `SSH-2.0-XSSH_1.0`). */
  readonly serverVersion?: string | undefined
  /** A banner sent before authentication (RFC 4252 §5.4). */
  readonly banner?: string | undefined
  /** Failed attempts before the connection is closed; default 6 (OpenSSH's MaxAuthTries). */
  readonly maxAuthTries?: number | undefined
  /** Login grace time: authentication must finish within it; default 120 000 (OpenSSH's LoginGraceTime). */
  readonly loginGraceMs?: number | undefined
  /** Keepalive probes after authentication, or false (default) for none. */
  readonly keepalive?: { readonly intervalMs: number; readonly countMax: number } | false | undefined
  /** Key-exchange algorithms to offer; group-exchange ones are always removed (the protocol library cannot serve them). */
  readonly kex?: readonly string[] | undefined
  /** The peer's address when the stream is not a TCP socket. */
  readonly remoteAddress?: { readonly address: string; readonly port?: number | undefined } | undefined
}

/** The validated options. @internal */
export interface ResolvedServerOptions {
  readonly serverVersion: string | undefined
  readonly banner: string | undefined
  readonly maxAuthTries: number
  readonly loginGraceMs: number
  readonly keepalive: { readonly intervalMs: number; readonly countMax: number } | undefined
  readonly kex: string[]
  readonly remoteAddress: { readonly address: string; readonly port?: number | undefined } | undefined
}

/** Whether `name` is a Diffie-Hellman group-exchange method (RFC 4419). @internal */
export function isGroupExchange(name: string): boolean {
  return name.startsWith('diffie-hellman-group-exchange-')
}

/** Validates `options`. @internal */
export function resolveServerOptions(options: ServerTransportOptions): ResolvedServerOptions {
  const maxAuthTries = options.maxAuthTries ?? 6
  if (!Number.isInteger(maxAuthTries) || maxAuthTries < 1) throw new RangeError('maxAuthTries must be an integer ≥ 1')
  const loginGraceMs = options.loginGraceMs ?? 120_000
  if (!Number.isFinite(loginGraceMs) || loginGraceMs <= 0) throw new RangeError('loginGraceMs must be > 0')
  const ka = options.keepalive
  if (ka && (!(ka.intervalMs > 0) || !Number.isInteger(ka.countMax) || ka.countMax < 0)) throw new RangeError('keepalive needs intervalMs > 0 and an integer countMax ≥ 0')
  const kex = [...(options.kex ?? algorithmTables.defaults.kex)].filter((k) => !isGroupExchange(k))
  if (kex.length === 0) throw new RangeError('kex must name at least one method other than group exchange')
  if (options.serverVersion !== undefined && !/^[\x21-\x2c\x2e-\x7e]+$/.test(options.serverVersion)) throw new RangeError('serverVersion must be printable ASCII without spaces or "-"')
  return Object.freeze({
    serverVersion: options.serverVersion,
    banner: options.banner,
    maxAuthTries,
    loginGraceMs,
    keepalive: ka ? { intervalMs: ka.intervalMs, countMax: ka.countMax } : undefined,
    kex,
    remoteAddress: options.remoteAddress,
  })
}
