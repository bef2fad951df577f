/**
 * The SFTP wire codec: length-prefixed packet framing with a hard size cap, a bounds-checked
 * payload reader and a reply builder (draft-ietf-secsh-filexfer-02 §3, RFC 4251 §5 types).
 */
import { MAX_ACCEPTED_LENGTH } from './constants.js'

/** Thrown when a packet is malformed: a field runs past its end, or a length is out of bounds. */
export class BadPacketError extends Error {
  override readonly name = 'BadPacketError'
}

/** Reads RFC 4251 types from one packet's payload; every read is bounds-checked. */
export class PayloadReader {
  #buf: Buffer
  #pos = 0

  /** Wraps one payload (the bytes after the length and type). */
  constructor(buf: Buffer) {
    this.#buf = buf
  }

  /** Returns the number of bytes not yet read. */
  get remaining(): number {
    return this.#buf.length - this.#pos
  }

  /** Reads a uint32. */
  uint32(): number {
    this.#need(4)
    const v = this.#buf.readUInt32BE(this.#pos)
    this.#pos += 4
    return v
  }

  /** Reads a uint64 as a number; values above 2^53 are refused as malformed. */
  uint64(): number {
    this.#need(8)
    const v = this.#buf.readBigUInt64BE(this.#pos)
    this.#pos += 8
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new BadPacketError('uint64 out of range')
    return Number(v)
  }

  /** Reads a string as raw bytes (a view into the packet). */
  bytes(): Buffer {
    const n = this.uint32()
    this.#need(n)
    const v = this.#buf.subarray(this.#pos, this.#pos + n)
    this.#pos += n
    return v
  }

  /** Reads a string decoded as UTF-8 (paths: OpenSSH passes bytes through; we require UTF-8 names). */
  string(): string {
    return this.bytes().toString('utf8')
  }

  #need(n: number): void {
    if (this.#pos + n > this.#buf.length) throw new BadPacketError('packet too short')
  }
}

/** Builds one outgoing packet: the type byte, then fields; `finish()` prefixes the length. */
export class PacketWriter {
  #parts: Buffer[] = []
  #size = 0

  /** Starts a packet of the given type. */
  constructor(type: number) {
    this.byte(type)
  }

  /** Appends a byte. */
  byte(v: number): this {
    return this.#push(Buffer.of(v))
  }

  /** Appends a uint32. */
  uint32(v: number): this {
    const b = Buffer.allocUnsafe(4)
    b.writeUInt32BE(v >>> 0)
    return this.#push(b)
  }

  /** Appends a uint64 (a non-negative safe integer). */
  uint64(v: number | bigint): this {
    const b = Buffer.allocUnsafe(8)
    b.writeBigUInt64BE(BigInt(v))
    return this.#push(b)
  }

  /** Appends a string (bytes, or text encoded as UTF-8). */
  string(v: string | Uint8Array): this {
    const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v.buffer, v.byteOffset, v.byteLength)
    this.uint32(b.length)
    return this.#push(b)
  }

  /** Returns the framed packet: uint32 length, then the body. */
  finish(): Buffer {
    const head = Buffer.allocUnsafe(4)
    head.writeUInt32BE(this.#size)
    return Buffer.concat([head, ...this.#parts], this.#size + 4)
  }

  #push(b: Buffer): this {
    this.#parts.push(b)
    this.#size += b.length
    return this
  }
}

/** One framed packet as received: its type and payload. */
export interface RawPacket {
  /** The packet type byte. */
  readonly type: number
  /** The bytes after the type byte. */
  readonly payload: Buffer
}

/**
 * Splits a byte stream into packets. A length field of 0 or above `maxLength` throws
 * {@link BadPacketError} before anything is allocated for it.
 */
export class PacketFramer {
  #chunks: Buffer[] = []
  #buffered = 0
  readonly #maxLength: number

  /** Creates a framer that refuses length fields above `maxLength`. */
  constructor(maxLength: number = MAX_ACCEPTED_LENGTH) {
    this.#maxLength = maxLength
  }

  /** Adds received bytes and returns every packet now complete. */
  push(chunk: Buffer): RawPacket[] {
    this.#chunks.push(chunk)
    this.#buffered += chunk.length
    const out: RawPacket[] = []
    for (;;) {
      if (this.#buffered < 4) return out
      const head = this.#peek(4)
      const length = head.readUInt32BE(0)
      if (length === 0 || length > this.#maxLength) {
        throw new BadPacketError(`packet length ${length} outside 1..${this.#maxLength}`)
      }
      if (this.#buffered < 4 + length) return out
      const whole = this.#take(4 + length)
      out.push({ type: whole[4] as number, payload: whole.subarray(5) })
    }
  }

  /** Returns the number of bytes held for an incomplete packet. */
  get buffered(): number {
    return this.#buffered
  }

  #peek(n: number): Buffer {
    const first = this.#chunks[0] as Buffer
    if (first.length >= n) return first
    const joined = Buffer.concat(this.#chunks)
    this.#chunks = [joined]
    return joined
  }

  #take(n: number): Buffer {
    const joined = this.#peek(n)
    const out = joined.subarray(0, n)
    const rest = joined.subarray(n)
    this.#chunks = rest.length > 0 ? [rest] : []
    this.#buffered -= n
    return out
  }
}
