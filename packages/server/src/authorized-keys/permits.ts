/**
 * `permitopen=` and `permitlisten=` entries (auth-options.c handle_permit()): `host:port`,
 * `[v6addr]:port`, `*` for any port; permitlisten also takes a bare port (any listen host).
 * Matching follows channels.c: permitopen compares the host literally (`*` is any host, no
 * DNS lookups); permitlisten matches the lower-cased requested host against a wildcard pattern.
 */
import { asciiLower, cleanHostname, matchPattern, splitHostPort } from '@x/transport'

/** One permitopen/permitlisten entry. */
export interface Permit {
  /** The host, without IPv6 brackets; `*` (or a pattern, for permitlisten). */
  readonly host: string
  /** The port, or '*' for any port. */
  readonly port: number | '*'
}

const NI_MAXHOST = 1025

/** Parses one entry; a string is sshd's reason for refusing it. */
export function parsePermit(value: string, listen: boolean): Permit | string {
  // A bare port in permitlisten means any listen host (OpenSSH prefixes `*:`).
  const text = listen && !value.includes(':') ? `*:${value}` : value
  const split = splitHostPort(text)
  if (split === undefined || split.host.length >= NI_MAXHOST) return 'invalid permission hostname'
  const { host, rest } = split
  if (rest === undefined) return 'invalid permission port'
  if (rest === '*') return Object.freeze({ host: cleanHostname(host), port: '*' })
  const port = toPort(rest)
  if (port === undefined) return 'invalid permission port'
  return Object.freeze({ host: cleanHostname(host), port })
}

/** misc.c a2port(): 1-65535 in decimal (strtonum: an optional sign, digits). */
function toPort(s: string): number | undefined {
  if (!/^[+]?[0-9]+$/.test(s)) return undefined
  const n = Number(s)
  return n >= 1 && n <= 65535 ? n : undefined
}

/** Tells whether a direct-tcpip to `host:port` is allowed by one permitopen entry. */
export function permitsOpen(permit: Permit, host: string, port: number): boolean {
  if (permit.port !== '*' && permit.port !== port) return false
  return permit.host === '*' || permit.host === host
}

/** Tells whether a tcpip-forward on `host:port` is allowed by one permitlisten entry. */
export function permitsListen(permit: Permit, host: string, port: number): boolean {
  if (permit.port !== '*' && permit.port !== port) return false
  return matchPattern(asciiLower(host), permit.host)
}
