/**
 * Address handling from ssh.c: `is_addr()` (an address is never lower-cased) and the address
 * canonicalisation `resolve_canonicalize()` always applies (getaddrinfo/getnameinfo with
 * AI_NUMERICHOST, so no DNS): `127.1` becomes `127.0.0.1`, `::FFFF:1.2.3.4` becomes `::ffff:1.2.3.4`.
 */
import { isIPv6 } from 'node:net'

/** ssh.c `is_addr_fast()`: has `%` or `:`, or is only digits and dots. */
export function looksLikeAddress(name: string): boolean {
  return name.includes('%') || name.includes(':') || /^[0-9.]*$/.test(name)
}

/** Parses IPv4 the way glibc's inet_aton does (1–4 parts, decimal, octal or hex). */
function parseInetAton(s: string): number[] | undefined {
  const parts = s.split('.')
  if (parts.length > 4 || parts.some((p) => p === '')) return undefined
  const nums: number[] = []
  for (const p of parts) {
    let n: number
    if (/^0[xX][0-9a-fA-F]*$/.test(p)) n = p.length === 2 ? 0 : parseInt(p.slice(2), 16)
    else if (/^0[0-7]*$/.test(p)) n = parseInt(p, 8)
    else if (/^[1-9]\d*$/.test(p)) n = parseInt(p, 10)
    else return undefined
    nums.push(n)
  }
  const last = nums.pop() ?? 0
  if (nums.some((n) => n > 255) || last >= 2 ** (8 * (4 - nums.length))) return undefined
  const bytes = [...nums]
  for (let i = 4 - nums.length - 1; i >= 0; i--) bytes.push(Math.floor(last / 2 ** (8 * i)) % 256)
  return bytes
}

function ipv6Words(s: string): number[] | undefined {
  if (!isIPv6(s)) return undefined
  let text = s
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (v4 !== null) {
    const b = (v4[1] ?? '').split('.').map(Number)
    text = `${text.slice(0, v4.index)}${(((b[0] ?? 0) << 8) | (b[1] ?? 0)).toString(16)}:${(((b[2] ?? 0) << 8) | (b[3] ?? 0)).toString(16)}`
  }
  const [head = '', tail] = text.split('::')
  const h = head === '' ? [] : head.split(':').map((w) => parseInt(w, 16))
  const t = tail === undefined || tail === '' ? [] : tail.split(':').map((w) => parseInt(w, 16))
  const fill = tail === undefined ? 0 : 8 - h.length - t.length
  return [...h, ...Array<number>(fill).fill(0), ...t]
}

/** Formats IPv6 words like glibc's inet_ntop (longest zero run compressed, v4-mapped shown dotted). */
function formatIpv6(w: number[]): string {
  let bestStart = -1
  let bestLen = 0
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && w[j] === 0) j++
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i]
    i = j
  }
  if (bestLen < 2) bestStart = -1
  const embedV4 = bestStart === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))
  let out = ''
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += ':'
      i += bestLen - 1
      if (i === 7) out += ':'
      continue
    }
    if (i > 0) out += ':'
    if (embedV4 && i === 6) {
      const a = w[6] ?? 0
      const b = w[7] ?? 0
      return `${out}${a >> 8}.${a & 255}.${b >> 8}.${b & 255}`
    }
    out += (w[i] ?? 0).toString(16)
  }
  return out
}

/**
 * Returns the canonical numeric form of `name` when it is an IP address ssh would accept for
 * the address family (0 any, 4 inet, 6 inet6), else undefined.
 */
export function canonicalAddress(name: string, family: number): string | undefined {
  if (family !== 6) {
    const v4 = parseInetAton(name)
    if (v4 !== undefined) return v4.join('.')
  }
  if (family !== 4 && !name.includes('%')) {
    const words = ipv6Words(name)
    if (words !== undefined) return formatIpv6(words)
  }
  return undefined
}

/** ssh.c `is_addr()`: a name that parses as a numeric address (or merely looks like one). */
export function isAddress(name: string, family: number): boolean {
  return looksLikeAddress(name) || canonicalAddress(name, family) !== undefined
}
