/**
 * Number and time parsing as OpenSSH 9.2 does it (misc.c `a2port`, `convtime`, `atoi_err`,
 * `a2tun`; openbsd-compat `strtonum`, `scan_scaled`), so that what ssh refuses we refuse.
 */
import { readFileSync } from 'node:fs'

const INT_MAX = 2147483647

/** Parses like `strtonum(s, min, max)`; undefined when invalid or out of range. */
export function strtonum(s: string, min: number, max: number): number | undefined {
  // strtoll(…, 10): optional leading whitespace and one sign, then digits to the end.
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)$/.exec(s)
  if (m === null) return undefined
  const value = BigInt(`${m[1] ?? ''}${m[2] ?? ''}`)
  if (value < BigInt(min) || value > BigInt(max)) return undefined
  return Number(value)
}

/** Parses an int option like readconf.c `atoi_err()`; undefined when it is not 0…INT_MAX. */
export function atoiErr(s: string | undefined): number | undefined {
  return s === undefined || s === '' ? undefined : strtonum(s, 0, INT_MAX)
}

let services: Map<string, number> | undefined

function tcpServices(): Map<string, number> {
  if (services !== undefined) return services
  services = new Map()
  let text = ''
  try {
    text = readFileSync('/etc/services', 'utf8')
  } catch {
    return services
  }
  for (const line of text.split('\n')) {
    const fields = (line.split('#')[0] ?? '').trim().split(/\s+/)
    const [name, spec, ...aliases] = fields
    const m = /^(\d+)\/tcp$/.exec(spec ?? '')
    if (name === undefined || m === null) continue
    for (const n of [name, ...aliases]) if (!services.has(n)) services.set(n, Number(m[1]))
  }
  return services
}

/** Converts a port like misc.c `a2port()`: 0…65535 or a TCP service name; -1 when invalid. */
export function a2port(s: string): number {
  const n = strtonum(s, 0, 65535)
  if (n !== undefined) return n
  return tcpServices().get(s) ?? -1
}

/** Converts a time spec like misc.c `convtime()` (`90`, `1h30m`, `2d`); -1 when invalid. */
export function convtime(s: string): number {
  if (s === '') return -1
  const units: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 }
  let total = 0
  let rest = s
  while (rest !== '') {
    // strtol(…, 10) per segment: whitespace, sign, digits, then one optional unit letter.
    const m = /^[ \t\n\v\f\r]*([+-]?\d+)([sSmMhHdDwW]?)/.exec(rest)
    if (m === null) return -1
    const secs = Number(m[1])
    if (secs < 0 || secs > INT_MAX) return -1
    const mult = units[(m[2] ?? '').toLowerCase()] ?? 1
    if (secs > Math.floor(INT_MAX / mult)) return -1
    total += secs * mult
    if (total > INT_MAX) return -1
    rest = rest.slice(m[0].length)
  }
  return total
}

const SCALE = 'BKMGTPE'

/** Parses a byte count like openbsd-compat `scan_scaled()` (`1G`, `1.5M`); undefined when invalid. */
export function scanScaled(s: string): bigint | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d*)(?:\.(\d*))?(.*)$/s.exec(s)
  if (m === null) return undefined
  const [, sign = '', whole = '', fraction, suffix = ''] = m
  if (whole.length >= 21) return undefined
  const max = 2n ** 63n - 1n
  let value = BigInt(whole === '' ? '0' : whole)
  if (value > max) return undefined
  if (sign === '-') value = -value
  if (suffix === '') return value
  const unit = SCALE.indexOf(suffix.charAt(0).toUpperCase())
  if (unit < 0 || /^[A-Za-z0-9]/.test(suffix.slice(1))) return undefined
  const factor = 1024n ** BigInt(unit)
  if (value > max / factor || value < -max / factor) return undefined
  // The fraction scales too (digits past 19 are ignored, as MAX_DIGITS - 1 does).
  const digits = (fraction ?? '').slice(0, 19)
  const fpart = digits === '' ? 0n : (BigInt(digits) * factor) / 10n ** BigInt(digits.length)
  return sign === '-' ? value * factor - fpart : value * factor + fpart
}

/** Sentinel for `any` in a tunnel device spec (SSH_TUNID_ANY). */
export const TUNID_ANY = 0x7fffffff
/** Sentinel for an invalid tunnel device spec (SSH_TUNID_ERR). */
export const TUNID_ERR = TUNID_ANY - 1

/** Parses one tunnel device id like misc.c `a2tun()` without a remote part. */
export function a2tunOne(s: string): number {
  if (s.toLowerCase() === 'any') return TUNID_ANY
  return strtonum(s, 0, TUNID_ANY - 2) ?? TUNID_ERR
}
