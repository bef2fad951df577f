/**
 * Reads and checks SSH wire-format public key blobs (RFC 4253 §6.6, RFC 5656 §3.1, RFC 8709 §4).
 */
import { createPublicKey } from 'node:crypto'

/** Reads RFC 4251 §5 `string` fields one after another, returning undefined past the end. */
export class SshReader {
  #pos = 0
  readonly #buf: Buffer

  /** Starts reading at the first byte of `buf`. */
  constructor(buf: Buffer) {
    this.#buf = buf
  }

  /** Returns the next length-prefixed field, or undefined when it overruns the buffer. */
  string(): Buffer | undefined {
    if (this.#pos + 4 > this.#buf.length) return undefined
    const len = this.#buf.readUInt32BE(this.#pos)
    const start = this.#pos + 4
    if (len > this.#buf.length - start) return undefined
    this.#pos = start + len
    return this.#buf.subarray(start, start + len)
  }

  /** Tells whether every byte has been consumed. */
  get done(): boolean {
    return this.#pos === this.#buf.length
  }
}

/** Encodes `parts` as consecutive RFC 4251 `string` fields. */
export function sshStrings(...parts: (Buffer | string)[]): Buffer {
  const chunks: Buffer[] = []
  for (const part of parts) {
    const data = typeof part === 'string' ? Buffer.from(part, 'utf8') : part
    const len = Buffer.alloc(4)
    len.writeUInt32BE(data.length)
    chunks.push(len, data)
  }
  return Buffer.concat(chunks)
}

const ECDSA_CURVES: Record<string, { curve: string; pointBytes: number }> = {
  'ecdsa-sha2-nistp256': { curve: 'nistp256', pointBytes: 65 },
  'ecdsa-sha2-nistp384': { curve: 'nistp384', pointBytes: 97 },
  'ecdsa-sha2-nistp521': { curve: 'nistp521', pointBytes: 133 },
  'sk-ecdsa-sha2-nistp256@openssh.com': { curve: 'nistp256', pointBytes: 65 },
}

/** An mpint (RFC 4251 §5) that is present, non-zero and not negative; OpenSSH allows leading zeros. */
function isPositiveMpint(field: Buffer | undefined): boolean {
  if (field === undefined || field.length === 0 || ((field[0] as number) & 0x80) !== 0) return false
  return field.some((byte) => byte !== 0)
}

const JWK_CURVES: Record<string, string> = { nistp256: 'P-256', nistp384: 'P-384', nistp521: 'P-521' }

/** Tells whether an uncompressed SEC1 point lies on `curve`, as OpenSSH's sshkey_ec_validate_public requires. */
function isOnCurve(curve: string, point: Buffer): boolean {
  const half = (point.length - 1) / 2
  try {
    createPublicKey({
      format: 'jwk',
      key: {
        kty: 'EC',
        crv: JWK_CURVES[curve] ?? '',
        x: point.subarray(1, 1 + half).toString('base64url'),
        y: point.subarray(1 + half).toString('base64url'),
      },
    })
    return true
  } catch {
    return false
  }
}

/**
 * Checks the fields of a public key blob for the key types OpenSSH reads from known_hosts and
 * `.pub` files, returning the type name, `'unsupported'` for a well-formed blob of another type
 * (certificates included), or `'invalid'` for garbage.
 */
export function checkPublicBlob(blob: Buffer): { type: string } | 'unsupported' | 'invalid' {
  const r = new SshReader(blob)
  const rawType = r.string()
  if (rawType === undefined || rawType.length === 0 || rawType.length > 64) return 'invalid'
  const type = rawType.toString('latin1')
  if (!/^[\x21-\x7e]+$/.test(type)) return 'invalid'
  let ok: boolean
  switch (type) {
    case 'ssh-ed25519':
      ok = r.string()?.length === 32
      break
    case 'sk-ssh-ed25519@openssh.com':
      ok = r.string()?.length === 32 && r.string() !== undefined
      break
    case 'ssh-rsa':
      ok = isPositiveMpint(r.string()) && isPositiveMpint(r.string())
      break
    case 'ssh-dss':
      ok = [r.string(), r.string(), r.string(), r.string()].every(isPositiveMpint)
      break
    default: {
      const ec = ECDSA_CURVES[type]
      if (ec === undefined) return 'unsupported'
      const curve = r.string()?.toString('latin1')
      const point = r.string()
      ok = curve === ec.curve && point?.length === ec.pointBytes && point[0] === 0x04 && isOnCurve(curve, point)
      if (ok && type.startsWith('sk-')) ok = r.string() !== undefined
    }
  }
  return ok && r.done ? { type } : 'invalid'
}

/** Decodes strict (canonical alphabet, padded) base64, or returns undefined. */
export function decodeBase64Strict(text: string): Buffer | undefined {
  if (text.length === 0 || text.length % 4 !== 0) return undefined
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined
  return Buffer.from(text, 'base64')
}
