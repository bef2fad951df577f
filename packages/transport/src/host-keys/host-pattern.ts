/**
 * Host matching for known_hosts, as OpenSSH 9.2 does it: `hostfile.c` (hashed names,
 * `[host]:port`) over `match.c`'s patterns (../match-pattern.ts).
 */
import { createHmac, randomBytes } from 'node:crypto'
import { decodeBase64Strict } from '../keys/ssh-wire.js'
import { asciiLower, matchPatternList } from '../match-pattern.js'

/**
 * Returns the name known_hosts stores for a host: `host` for port 22, `[host]:port` otherwise
 * (OpenSSH's `put_host_port`), lower-cased as ssh lower-cases host names.
 *
 * @throws RangeError when `port` is not an integer in 0–65535 or `hostname` is empty.
 */
export function hostKeyName(hostname: string, port: number): string {
  if (typeof hostname !== 'string' || hostname === '') throw new RangeError('hostname must be a non-empty string')
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`port must be an integer in 0-65535, got ${String(port)}`)
  }
  // A bracketed IPv6 literal ('[::1]') is the same host as the bare address.
  let host = /^\[[^\]]*\]$/.test(hostname) ? hostname.slice(1, -1) : hostname
  host = asciiLower(host)
  return port === 22 || port === 0 ? host : `[${host}]:${port}`
}

const HASH_MAGIC = '|1|'

/** Returns the salt of a hashed host field `|1|salt|hash`, or undefined when it is malformed. */
export function hashedFieldSalt(field: string): Buffer | undefined {
  if (!field.startsWith(HASH_MAGIC)) return undefined
  const end = field.indexOf('|', HASH_MAGIC.length)
  if (end === -1) return undefined
  const salt = decodeBase64Strict(field.slice(HASH_MAGIC.length, end))
  return salt?.length === 20 ? salt : undefined
}

/** Hashes a host name as `ssh-keygen -H` does: `|1|` base64(salt) `|` base64(HMAC-SHA1(salt, name)). */
export function hashHostName(name: string, salt: Buffer = randomBytes(20)): string {
  const mac = createHmac('sha1', salt).update(name, 'utf8').digest('base64')
  return `${HASH_MAGIC}${salt.toString('base64')}|${mac}`
}

/**
 * Tells whether a known_hosts host field matches the stored name (see {@link hostKeyName}):
 * a hashed field is compared whole; otherwise the field is a pattern list and a negated
 * match means no match.
 */
export function hostFieldMatches(field: string, name: string, salt: Buffer | undefined): boolean {
  if (field.startsWith('|')) return salt !== undefined && hashHostName(name, salt) === field
  // A known_hosts field is a pattern list matched with lower-cased patterns (hostfile.c).
  return matchPatternList(name, field, true) === 1
}
