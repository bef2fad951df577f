/** The builder of one outgoing SFTP packet (draft-ietf-secsh-filexfer-02 §3). */
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
