/**
 * Password hashes with scrypt (RFC 7914) from node:crypto, in a PHC-like string:
 * `$scrypt$ln=15,r=8,p=1$<salt>$<hash>`, both base64 without padding.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto'

/** Options of {@link hashPassword}. */
export interface HashPasswordOptions {
  /** log2 of the CPU/memory cost N, 10–20; default 15 (N = 32768, 32 MiB). */
  readonly ln?: number | undefined
  /** The block size r, 1–32; default 8. */
  readonly r?: number | undefined
  /** The parallelism p, 1–16; default 1. */
  readonly p?: number | undefined
  /** A fixed salt (tests); default 16 random bytes. */
  readonly salt?: Buffer | undefined
}

/** The parameters, salt and hash of one parsed hash string. @internal */
export interface ParsedHash {
  readonly ln: number
  readonly r: number
  readonly p: number
  readonly salt: Buffer
  readonly hash: Buffer
}

const FORMAT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{11,})\$([A-Za-z0-9+/]{22,})$/
const HASH_BYTES = 32

function inRange(name: string, v: number, lo: number, hi: number): number {
  if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`${name} must be an integer ${lo}–${hi}`)
  return v
}

const b64 = (b: Buffer): string => b.toString('base64').replace(/=+$/, '')

function derive(password: string, salt: Buffer, ln: number, r: number, p: number, length: number): Promise<Buffer> {
  const N = 2 ** ln
  // node's default maxmem (32 MiB) is just below what ln=15,r=8 needs: allow the real need.
  const maxmem = 128 * N * r + 128 * r * p + 1024 * 1024
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, length, { N, r, p, maxmem }, (err, key) => (err ? reject(err) : resolve(key)))
  })
}

/** Parses a hash string; returns undefined when it is not one this module makes. @internal */
export function parseHash(text: string): ParsedHash | undefined {
  const m = FORMAT.exec(text)
  if (!m) return undefined
  const [ln, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])]
  if (ln < 10 || ln > 20 || r < 1 || r > 32 || p < 1 || p > 16) return undefined
  const salt = Buffer.from(m[4]!, 'base64')
  const hash = Buffer.from(m[5]!, 'base64')
  if (b64(salt) !== m[4] || b64(hash) !== m[5] || hash.length < 16) return undefined
  return { ln, r, p, salt, hash }
}

/**
 * Hashes `password` with scrypt and a fresh salt into `$scrypt$ln=…,r=…,p=…$salt$hash`, the line
 * format {@link PasswordFile} reads (what `x-sshd hash-password` prints).
 *
 * @throws RangeError when ln, r or p is out of bounds.
 * @example
 * ```ts
 * const line = `alice:${await hashPassword('correct horse')}`
 * ```
 */
export async function hashPassword(password: string, options: HashPasswordOptions = {}): Promise<string> {
  if (typeof password !== 'string') throw new TypeError('password must be a string')
  const ln = inRange('ln', options.ln ?? 15, 10, 20)
  const r = inRange('r', options.r ?? 8, 1, 32)
  const p = inRange('p', options.p ?? 1, 1, 16)
  const salt = options.salt ?? randomBytes(16)
  if (salt.length < 8) throw new RangeError('salt must hold at least 8 bytes')
  const hash = await derive(password, salt, ln, r, p, HASH_BYTES)
  return `$scrypt$ln=${ln},r=${r},p=${p}$${b64(salt)}$${b64(hash)}`
}

/**
 * Checks `password` against a hash made by {@link hashPassword}, in constant time over the
 * hash bytes; a malformed hash never matches.
 */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const parsed = parseHash(hash)
  if (!parsed || typeof password !== 'string') return false
  return verifyParsed(password, parsed)
}

/** Checks `password` against a parsed hash. @internal */
export async function verifyParsed(password: string, parsed: ParsedHash): Promise<boolean> {
  const got = await derive(password, parsed.salt, parsed.ln, parsed.r, parsed.p, parsed.hash.length)
  return timingSafeEqual(got, parsed.hash)
}
