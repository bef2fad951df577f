/**
 * `from=` decisions (match.c match_host_and_ip() over addrmatch.c addr_match_list()): the
 * client's address is matched as CIDR networks or, for entries that are not addresses, as
 * wildcards; its host name (the address itself unless the server resolved one, as sshd's
 * default `UseDNS no`) is matched case-insensitively with `matchHostname`.
 * A `!negated` match of either vetoes.
 */
import { matchHostname, matchPattern } from '@x/transport'
import { normaliseMapped, inNetwork, parseCidr, parseIp } from './cidr.js'

/** The verdict on a `from=` list: allowed, refused, or 'invalid' (a malformed list refuses everyone). */
export type FromVerdict = 'allow' | 'deny' | 'invalid'

/** Returns the canonical text sshd logs and matches for an address (IPv4-mapped IPv6 unmapped). */
export function canonicalAddress(address: string): string {
  const ip = parseIp(address)
  if (ip === undefined || ip.length !== 16) return address
  const mapped = normaliseMapped(ip)
  return mapped.length === 4 ? Array.from(mapped).join('.') : address
}

/** addr_match_list(): 1 positive, 0 none, -1 negated match, -2 malformed list. */
export function addressMatchList(address: string, list: string): 1 | 0 | -1 | -2 {
  const raw = parseIp(address)
  if (raw === undefined) return 0
  const ip = normaliseMapped(raw)
  const text = canonicalAddress(address)
  let result: 1 | 0 = 0
  for (const part of list.split(',')) {
    const negated = part.startsWith('!')
    const entry = negated ? part.slice(1) : part
    if (entry === '') return -2
    const net = parseCidr(entry)
    if (net === 'inconsistent') return -2
    const hit = net === 'not-cidr' ? matchPattern(text, entry) : inNetwork(ip, net)
    if (hit) {
      if (negated) return -1
      result = 1
    }
  }
  return result
}

/**
 * Decides a `from=` list for a client at `address`, known as `hostname` (default: the
 * address, as sshd without UseDNS).
 */
export function matchFrom(list: string, address: string, hostname?: string | undefined): FromVerdict {
  const ip = addressMatchList(address, list)
  if (ip === -2) return 'invalid'
  if (ip === -1) return 'deny'
  const host = matchHostname(hostname ?? canonicalAddress(address), list)
  if (host === -1) return 'deny'
  return ip === 1 || host === 1 ? 'allow' : 'deny'
}
