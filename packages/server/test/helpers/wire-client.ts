/**
 * A minimal SFTP client speaking raw packets over a loopback TCP pair to an in-process
 * SftpServer, so tests can send exactly the bytes they mean (escapes, garbage, pipelining).
 */
import { once } from 'node:events'
import { createServer, connect } from 'node:net'
import type { Socket } from 'node:net'
import { PacketFramer, PacketWriter, PayloadReader } from '../../src/sftp/codec.js'
import { Packet } from '../../src/sftp/constants.js'
import type { SftpServer, SftpSessionEnd } from '../../src/index.js'

/** One answer: its type and a reader positioned after the request id. */
export interface Reply {
  readonly type: number
  readonly r: PayloadReader
}

/** A connected raw client and the server session's outcome. */
export class WireClient {
  readonly socket: Socket
  /** Settles when the server's session is over. */
  readonly session: Promise<SftpSessionEnd>
  /** Settles when the client's socket closes. */
  readonly closed: Promise<void>
  readonly #framer = new PacketFramer(16 * 1024 * 1024)
  readonly #waiting = new Map<number, (reply: Reply) => void>()
  #version: ((r: PayloadReader) => void) | null = null
  #nextId = 1

  private constructor(socket: Socket, session: Promise<SftpSessionEnd>) {
    this.socket = socket
    this.session = session
    this.closed = once(socket, 'close').then(() => {})
    socket.on('error', () => {}) // a reset after the server destroys its side is expected in these tests
    socket.on('data', (chunk: Buffer) => {
      for (const p of this.#framer.push(chunk)) {
        const r = new PayloadReader(p.payload)
        if (p.type === Packet.VERSION) {
          this.#version?.(r)
          continue
        }
        const id = r.uint32()
        this.#waiting.get(id)?.({ type: p.type, r })
        this.#waiting.delete(id)
      }
    })
  }

  /** Connects a client to a fresh session of `server` over loopback TCP. */
  static async connect(server: SftpServer): Promise<WireClient> {
    const listener = createServer()
    listener.listen(0, '127.0.0.1')
    await once(listener, 'listening')
    const address = listener.address() as { port: number }
    const accepted = once(listener, 'connection') as Promise<[Socket]>
    const socket = connect(address.port, '127.0.0.1')
    const [serverSide] = await accepted
    listener.close()
    await once(socket, 'connect').catch(() => {})
    const session = server.serve(serverSide)
    return new WireClient(socket, session)
  }

  /** Sends INIT and returns the advertised extensions. */
  async init(): Promise<Map<string, string>> {
    const version = new Promise<PayloadReader>((resolve) => (this.#version = resolve))
    this.raw(new PacketWriter(Packet.INIT).uint32(3).finish())
    const r = await version
    const v = r.uint32()
    if (v !== 3) throw new Error(`version ${v}`)
    const ext = new Map<string, string>()
    while (r.remaining > 0) ext.set(r.string(), r.string())
    return ext
  }

  /** Writes raw bytes. */
  raw(bytes: Buffer): void {
    this.socket.write(bytes)
  }

  /** Sends a request (fields after the id) without waiting; returns its answer's promise. */
  request(type: number, fields: (w: PacketWriter) => void = () => {}): Promise<Reply> {
    const id = this.#nextId++
    const w = new PacketWriter(type).uint32(id)
    fields(w)
    const reply = new Promise<Reply>((resolve) => this.#waiting.set(id, resolve))
    this.raw(w.finish())
    return reply
  }

  /** Sends an SSH_FXP_EXTENDED request. */
  extended(name: string, fields: (w: PacketWriter) => void = () => {}): Promise<Reply> {
    return this.request(Packet.EXTENDED, (w) => {
      w.string(name)
      fields(w)
    })
  }

  /** Returns the status code of an answer, or -1 when it is not a STATUS. */
  static status(reply: Reply): number {
    return reply.type === Packet.STATUS ? reply.r.uint32() : -1
  }

  /** Opens a file; returns the handle, or the status code on failure. */
  async open(path: string, pflags: number): Promise<Buffer | number> {
    const reply = await this.request(Packet.OPEN, (w) => w.string(path).uint32(pflags).uint32(0))
    return reply.type === Packet.HANDLE ? Buffer.from(reply.r.bytes()) : WireClient.status(reply)
  }

  /** Ends the client's side and waits for the session and the socket to close. */
  async end(): Promise<SftpSessionEnd> {
    this.socket.end()
    const end = await this.session
    await this.closed
    return end
  }
}
