/**
 * Length-prefixed SFTP packet framing (draft-ietf-secsh-filexfer-02 §3) with a hard size cap:
 * an oversized length is refused before anything is allocated for it.
 */
import { BadPacketError } from './bad-packet-error.js'
import { MAX_ACCEPTED_LENGTH } from './constants.js'

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
