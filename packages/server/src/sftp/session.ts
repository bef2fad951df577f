/**
 * One SFTP session over a Duplex: INIT/VERSION (draft-02 §4), then pipelined requests answered as
 * each completes (each answer carries its request id), with flow control both ways and a clean
 * close on malformed input. Internal: {@link SftpServer} creates sessions.
 */
import type { Duplex } from 'node:stream'
import { BadPacketError, PacketFramer, PacketWriter, PayloadReader } from './codec.js'
import type { RawPacket } from './codec.js'
import { EXTENSIONS, Packet, SFTP_VERSION } from './constants.js'
import type { SessionContext } from './context.js'
import { dispatch } from './dispatch.js'
import { statusReply } from './replies.js'
import { toStatus } from './status.js'

/** How many requests one session runs at once before it stops reading (OpenSSH's client sends 64). */
const MAX_IN_FLIGHT = 128

/** Why a session ended. */
export type SftpSessionEndReason =
  /** The client sent EOF; every answer was written. */
  | 'end'
  /** The stream closed before EOF (the channel or process went away). */
  | 'closed'
  /** The client sent a malformed or oversized packet, or a request before INIT: the stream was destroyed. */
  | 'protocol-error'
  /** The stream failed. */
  | 'stream-error'

/** How a session ended; every handle it opened is closed by the time this is reported. */
export interface SftpSessionEnd {
  /** Why the session ended. */
  readonly reason: SftpSessionEndReason
  /** The protocol or stream error, for `'protocol-error'` and `'stream-error'`. */
  readonly error?: Error | undefined
}

/** Runs one session; `done` settles (never rejects) once the session is over and cleaned up. */
export class SftpSession {
  readonly #stream: Duplex
  readonly #ctx: SessionContext
  readonly #framer = new PacketFramer()
  #initialized = false
  #inFlight = 0
  #inputEnded = false
  #finishing = false
  #waitingDrain = false
  #onIdle: (() => void) | null = null
  /** The answers in request order: each waits for the one before it. */
  #answers: Promise<void> = Promise.resolve()
  #resolve!: (end: SftpSessionEnd) => void
  /** Settles with how the session ended, after its handles are closed. */
  readonly done: Promise<SftpSessionEnd>

  /** Starts serving `stream` with the given context. */
  constructor(stream: Duplex, ctx: SessionContext) {
    this.#stream = stream
    this.#ctx = ctx
    this.done = new Promise((resolve) => (this.#resolve = resolve))
    stream.on('data', this.#onData)
    stream.on('end', this.#onEnd)
    stream.on('close', this.#onClose)
    stream.on('error', this.#onError)
  }

  readonly #onData = (chunk: Buffer | string): void => {
    if (this.#finishing) return
    let packets: RawPacket[]
    try {
      packets = this.#framer.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
    } catch (err) {
      this.#fail('protocol-error', err as Error)
      return
    }
    for (const p of packets) {
      if (this.#finishing) return
      this.#packet(p)
    }
  }

  readonly #onEnd = (): void => {
    this.#inputEnded = true
    if (this.#inFlight === 0) void this.#finish('end')
  }

  readonly #onClose = (): void => {
    this.#inputEnded = true
    void this.#finish('closed')
  }

  readonly #onError = (err: Error): void => {
    this.#fail('stream-error', err)
  }

  #packet(p: RawPacket): void {
    const r = new PayloadReader(p.payload)
    if (!this.#initialized) {
      if (p.type !== Packet.INIT) return this.#fail('protocol-error', new BadPacketError(`packet type ${p.type} before INIT`))
      this.#initialized = true
      // The client's version and extensions are not needed: we answer version 3 (draft-02 §4).
      const w = new PacketWriter(Packet.VERSION).uint32(SFTP_VERSION)
      for (const [name, version] of EXTENSIONS) w.string(name).string(version)
      this.#send(w.finish())
      return
    }
    if (p.type === Packet.INIT || p.type === Packet.VERSION) {
      return this.#fail('protocol-error', new BadPacketError(`unexpected packet type ${p.type}`))
    }
    let id: number
    let pending: Promise<Buffer>
    try {
      id = r.uint32()
      pending = dispatch(p.type, id, r, this.#ctx)
    } catch (err) {
      return this.#fail('protocol-error', err as Error)
    }
    this.#inFlight++
    this.#flow()
    const settled = pending.catch((err: unknown) => {
      if (err instanceof BadPacketError) {
        this.#fail('protocol-error', err)
        return null
      }
      const [code, message] = toStatus(err)
      return statusReply(id, code, message)
    })
    // Requests run concurrently but are answered in the order they came, as OpenSSH's
    // sftp-server does: OpenSSH's client tolerates reordered READ answers only partly (seen: scp
    // truncated a 700 kB download to its first 255 KiB when the third answer overtook the second).
    this.#answers = this.#answers
      .then(() => settled)
      .then((reply) => {
        this.#inFlight--
        if (reply !== null && !this.#finishing) this.#send(reply)
        if (this.#inFlight === 0) {
          this.#onIdle?.()
          if (this.#inputEnded) void this.#finish('end')
        }
        this.#flow()
      })
  }

  #send(packet: Buffer): void {
    const s = this.#stream
    if (s.destroyed || s.writableEnded) return
    if (!s.write(packet) && !this.#waitingDrain) {
      this.#waitingDrain = true
      s.once('drain', () => {
        this.#waitingDrain = false
        this.#flow()
      })
    }
  }

  /** Stops reading while too many requests run or answers wait for the peer to read. */
  #flow(): void {
    if (this.#finishing || this.#inputEnded) return
    if (this.#inFlight >= MAX_IN_FLIGHT || this.#waitingDrain) this.#stream.pause()
    else this.#stream.resume()
  }

  #fail(reason: 'protocol-error' | 'stream-error', error: Error): void {
    if (this.#finishing) return
    this.#stream.destroy()
    void this.#finish(reason, error)
  }

  async #finish(reason: SftpSessionEndReason, error?: Error): Promise<void> {
    if (this.#finishing) return
    this.#finishing = true
    const s = this.#stream
    s.off('data', this.#onData)
    s.off('end', this.#onEnd)
    s.off('close', this.#onClose)
    if (this.#inFlight > 0) await new Promise<void>((resolve) => (this.#onIdle = resolve))
    await this.#ctx.handles.closeAll()
    if (reason === 'end' && !s.destroyed && !s.writableEnded) s.end()
    s.off('error', this.#onError)
    s.on('error', () => {}) // late errors of a stream we are done with are not ours to report
    this.#resolve(error === undefined ? { reason } : { reason, error })
  }
}
