/**
 * Follows one direction of an SSH byte stream without keys: the identification line, then the
 * plaintext binary packets of the first key exchange (RFC 4253 §4.2, §6), until SSH_MSG_NEWKEYS
 * has passed; everything after it is encrypted and only counted.
 */

/** SSH_MSG_IGNORE (RFC 4253 §11.2). */
export const MSG_IGNORE = 2
/** SSH_MSG_KEXINIT (RFC 4253 §7.1). */
export const MSG_KEXINIT = 20
/** SSH_MSG_NEWKEYS (RFC 4253 §7.3). */
export const MSG_NEWKEYS = 21

/** The largest plaintext packet the tracker believes (RFC 4253 §6.1 asks for 35,000 at least). */
const MAX_PACKET_LENGTH = 256 * 1024

/** A boundary the tracker saw inside a chunk: `offset` is the index just after it. */
export interface StreamMark {
  /** Index in the chunk just after the identification line or the packet. */
  readonly offset: number
  /** 'ident' for the SSH- line, 'packet' for a plaintext binary packet. */
  readonly kind: 'ident' | 'packet'
  /** The packet's message number (first payload byte), for 'packet'. */
  readonly messageType?: number
}

/** What one chunk held. */
export interface ChunkReport {
  readonly marks: readonly StreamMark[]
  /** Index in the chunk where encrypted bytes begin, when the chunk holds any. */
  readonly encryptedStart: number | undefined
  /** Encrypted bytes of the stream before this chunk's first encrypted byte. */
  readonly encryptedBefore: number
}

/** Where the tracker is in the stream. 'lost': the framing made no sense, tracking stopped. */
export type StreamPhase = 'ident' | 'plaintext' | 'encrypted' | 'lost'

/**
 * Tracks one direction of an SSH connection as bytes pass (a man-in-the-middle's view).
 * Lines before the `SSH-` line are skipped, as servers may send them (RFC 4253 §4.2).
 */
export class SshStreamTracker {
  #phase: StreamPhase = 'ident'
  #lineHead = ''
  #header: number[] = []
  #packetSize = 0
  #packetPos = 0
  #encrypted = 0
  readonly #messages: number[] = []

  /** Where the stream is now. */
  get phase(): StreamPhase {
    return this.#phase
  }

  /** Message numbers of the plaintext packets seen so far, in order. */
  get messages(): readonly number[] {
    return this.#messages
  }

  /** Encrypted bytes seen so far. */
  get encryptedBytes(): number {
    return this.#encrypted
  }

  /** Reads `chunk` (the next bytes of the stream) and reports the boundaries inside it. */
  feed(chunk: Buffer): ChunkReport {
    const marks: StreamMark[] = []
    const encryptedBefore = this.#encrypted
    let i = 0
    while (i < chunk.length && (this.#phase === 'ident' || this.#phase === 'plaintext')) {
      const mark = this.#phase === 'ident' ? this.#identByte(chunk[i]!, i) : this.#plaintextByte(chunk[i]!, i)
      if (mark) marks.push(mark)
      i++
    }
    let encryptedStart: number | undefined
    if (this.#phase === 'encrypted' && i < chunk.length) {
      encryptedStart = i
      this.#encrypted += chunk.length - i
    }
    return { marks, encryptedStart, encryptedBefore }
  }

  #identByte(byte: number, index: number): StreamMark | undefined {
    if (byte === 0x0a) {
      const isIdent = this.#lineHead === 'SSH-'
      this.#lineHead = ''
      if (!isIdent) return undefined
      this.#phase = 'plaintext'
      return { offset: index + 1, kind: 'ident' }
    }
    if (this.#lineHead.length < 4) this.#lineHead += String.fromCharCode(byte)
    return undefined
  }

  #plaintextByte(byte: number, index: number): StreamMark | undefined {
    if (this.#header.length < 6) {
      this.#header.push(byte)
      if (this.#header.length === 4) {
        const length = Buffer.from(this.#header).readUInt32BE(0)
        if (length < 5 || length > MAX_PACKET_LENGTH) {
          this.#phase = 'lost'
          return undefined
        }
        this.#packetSize = 4 + length
      }
    }
    this.#packetPos++
    if (this.#packetSize === 0 || this.#packetPos < this.#packetSize) return undefined
    const messageType = this.#header[5]!
    this.#messages.push(messageType)
    this.#header = []
    this.#packetPos = 0
    this.#packetSize = 0
    if (messageType === MSG_NEWKEYS) this.#phase = 'encrypted'
    return { offset: index + 1, kind: 'packet', messageType }
  }
}

/**
 * Frames `payload` as an unencrypted binary packet (RFC 4253 §6): length, padding length,
 * payload and at least 4 bytes of padding, to a multiple of 8 bytes.
 */
export function plaintextPacket(payload: Buffer): Buffer {
  let padding = 8 - ((4 + 1 + payload.length) % 8)
  if (padding < 4) padding += 8
  const packet = Buffer.alloc(4 + 1 + payload.length + padding)
  packet.writeUInt32BE(1 + payload.length + padding, 0)
  packet[4] = padding
  payload.copy(packet, 5)
  return packet
}

/** An SSH_MSG_IGNORE packet carrying `data`, unencrypted. */
export function plaintextIgnorePacket(data: Buffer = Buffer.from('xssh-testbed')): Buffer {
  const payload = Buffer.alloc(1 + 4 + data.length)
  payload[0] = MSG_IGNORE
  payload.writeUInt32BE(data.length, 1)
  data.copy(payload, 5)
  return plaintextPacket(payload)
}
