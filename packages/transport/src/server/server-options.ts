/** The options only the server role reads, validated once. */
import { algorithmTables } from '../internal/protocol-internals.js'
import type { ResolvedTransportOptions } from '../transport-options.js'

/**
 * What only the server role reads: `new Transport(sock, { server: { … } })`. The server role
 * also reads `algorithms.kex`, `keepalive` and `closeGraceMs` of the transport's options.
 */
export interface ServerRoleOptions {
  /** Our version line's software part, e.g. 'XSSH_1.0' (sent as `SSH-2.0-XSSH_1.0`). */
  readonly serverVersion?: string | undefined
  /** A banner sent before authentication (RFC 4252 §5.4). */
  readonly banner?: string | undefined
  /** Failed attempts before the connection is closed; default 6 (OpenSSH's MaxAuthTries). */
  readonly maxAuthTries?: number | undefined
  /** Login grace time: authentication must finish within it; default 120 000 (OpenSSH's LoginGraceTime). */
  readonly loginGraceMs?: number | undefined
  /** The peer's address when the stream is not a TCP socket. */
  readonly remoteAddress?: { readonly address: string; readonly port?: number | undefined } | undefined
}

/** The validated options of the server role. @internal */
export interface ResolvedServerOptions {
  readonly serverVersion: string | undefined
  readonly banner: string | undefined
  readonly maxAuthTries: number
  readonly loginGraceMs: number
  readonly keepalive: { readonly intervalMs: number; readonly countMax: number } | undefined
  readonly kex: string[]
  readonly remoteAddress: { readonly address: string; readonly port?: number | undefined } | undefined
  readonly closeGraceMs: number
}

/** Whether `name` is a Diffie-Hellman group-exchange method (RFC 4419). @internal */
export function isGroupExchange(name: string): boolean {
  return name.startsWith('diffie-hellman-group-exchange-')
}

/** Validates the server-only group; called when the Transport is made. @internal */
export function checkServerRoleOptions(options: ServerRoleOptions | undefined): void {
  if (options === undefined) return
  if (typeof options !== 'object' || options === null) throw new TypeError('server must be an object')
  const { maxAuthTries, loginGraceMs, serverVersion, banner } = options
  if (maxAuthTries !== undefined && (!Number.isInteger(maxAuthTries) || maxAuthTries < 1)) throw new RangeError('server.maxAuthTries must be an integer ≥ 1')
  if (loginGraceMs !== undefined && (!Number.isFinite(loginGraceMs) || loginGraceMs <= 0)) throw new RangeError('server.loginGraceMs must be > 0')
  if (serverVersion !== undefined && !/^[\x21-\x2c\x2e-\x7e]+$/.test(serverVersion)) throw new RangeError('server.serverVersion must be printable ASCII without spaces or "-"')
  if (banner !== undefined && typeof banner !== 'string') throw new TypeError('server.banner must be a string')
}

/**
 * The server role's settings from the transport's options; group-exchange kex is removed (the
 * protocol library cannot serve it). @internal
 * @throws RangeError when no kex method other than group exchange is left.
 */
export function resolveServerOptions(role: ServerRoleOptions | undefined, shared: ResolvedTransportOptions): ResolvedServerOptions {
  const kex = [...(shared.algorithms.kex ?? algorithmTables.defaults.kex)].filter((k) => !isGroupExchange(k))
  if (kex.length === 0) throw new RangeError('algorithms.kex must name at least one method other than group exchange for the server role')
  return Object.freeze({
    serverVersion: role?.serverVersion,
    banner: role?.banner,
    maxAuthTries: role?.maxAuthTries ?? 6,
    loginGraceMs: role?.loginGraceMs ?? 120_000,
    keepalive: shared.keepalive,
    kex,
    remoteAddress: role?.remoteAddress,
    closeGraceMs: shared.closeGraceMs,
  })
}
