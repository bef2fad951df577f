/** A bounds-checked reader of one SFTP packet's payload (RFC 4251 §5 types). */
import { BadPacketError } from './bad-packet-error.js'

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
