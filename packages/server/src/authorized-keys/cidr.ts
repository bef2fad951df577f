/**
 * IPv4/IPv6 addresses and CIDR networks, as OpenSSH's addr.c reads them for `from=`:
 * `addr` or `addr/len`; a network whose host bits are not zero, or whose length exceeds the
 * family's, makes the whole list invalid ("inconsistent mask length").
 */
import { isIPv4, isIPv6 } from 'node:net'

/** A parsed address: 4 bytes (IPv4) or 16 bytes (IPv6). */
export type IpBytes = Uint8Array

/** Parses a numeric IPv4 or IPv6 address (no names, no zone ids); undefined otherwise. */
export function parseIp(text: string): IpBytes | undefined {
  if (isIPv4(text)) return Uint8Array.from(text.split('.').map(Number))
  if (isIPv6(text) && !text.includes('%')) return parseIPv6(text)
  return undefined
}

function parseIPv6(text: string): IpBytes {
  let s = text
  const lastColon = s.lastIndexOf(':')
  const v4 = s.slice(lastColon + 1)
  if (v4.includes('.')) {
    // An embedded IPv4 tail (::ffff:10.0.0.1) is the last two 16-bit groups.
    const [a = 0, b = 0, c = 0, d = 0] = v4.split('.').map(Number)
    s = `${s.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const groups = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)))
  const dbl = s.indexOf('::')
  let words: number[]
  if (dbl >= 0) {
    const head = groups(s.slice(0, dbl))
    const rest = groups(s.slice(dbl + 2))
    words = [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest]
  } else {
    words = groups(s)
  }
  const out = new Uint8Array(16)
  words.forEach((w, i) => {
    out[i * 2] = w >> 8
    out[i * 2 + 1] = w & 0xff
  })
  return out
}

/** An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as the IPv4 address sshd sees. */
export function normaliseMapped(ip: IpBytes): IpBytes {
  if (ip.length !== 16) return ip
  for (let i = 0; i < 10; i++) if (ip[i] !== 0) return ip
  if (ip[10] !== 0xff || ip[11] !== 0xff) return ip
  return ip.slice(12)
}

/** A network for matching; see {@link parseCidr}. */
export interface Network {
  readonly base: IpBytes
  readonly bits: number
}

/**
 * Parses `addr[/len]` (addr.c addr_pton_cidr()): a Network, 'not-cidr' when the text is not
 * an address (the caller falls back to a wildcard match), or 'inconsistent' for a mask too
 * long for the family or host bits set, which sshd treats as an invalid list.
 */
export function parseCidr(text: string): Network | 'not-cidr' | 'inconsistent' {
  const slash = text.indexOf('/')
  let bits: number | undefined
  let addrText = text
  if (slash >= 0) {
    const len = text.slice(slash + 1)
    if (!/^[0-9]+$/.test(len) || Number(len) > 128) return 'not-cidr'
    bits = Number(len)
    addrText = text.slice(0, slash)
  }
  const base = parseIp(addrText)
  if (base === undefined) return 'not-cidr'
  const max = base.length * 8
  bits ??= max
  if (bits > max) return 'inconsistent'
  for (let bit = bits; bit < max; bit++) {
    if (((base[bit >> 3] ?? 0) >> (7 - (bit & 7))) & 1) return 'inconsistent'
  }
  return { base, bits }
}

/** Tells whether `ip` lies in `net` (same family only, as addr_netmatch()). */
export function inNetwork(ip: IpBytes, net: Network): boolean {
  if (ip.length !== net.base.length) return false
  const whole = net.bits >> 3
  for (let i = 0; i < whole; i++) if (ip[i] !== net.base[i]) return false
  const rem = net.bits & 7
  if (rem === 0) return true
  const mask = (0xff << (8 - rem)) & 0xff
  return ((ip[whole] ?? 0) & mask) === ((net.base[whole] ?? 0) & mask)
}
