/**
 * Node streams over one remote file. The handle is opened in `_construct` and closed on end,
 * finish, error or destroy; every failure is an SFTPError (or ConnectionLostError).
 */
import { Readable, Writable } from 'node:stream'
import { onAbort } from '../internal/abort.js'
import { checkMode, checkOpenFlags, closeQuietly, closeRemote, openRemote, readRemote, writeRemote, type RemoteFile } from './handles.js'
import { positiveInt } from './pump.js'
import type { SftpSession } from './session.js'
import type { SftpReadStreamOptions, SftpWriteStreamOptions } from './types.js'

const MAX_IN_FLIGHT = 16

const nonNegative = (name: string, value: number | undefined, fallback: number): number => {
  if (value === undefined) return fallback
  if (!(Number.isSafeInteger(value) && value >= 0) && value !== Number.POSITIVE_INFINITY) {
    throw new RangeError(`${name} must be a non-negative integer, got ${String(value)}`)
  }
  return value
}

// Destroys `stream` with the signal's reason on abort; the listener goes when the stream closes.
const bindSignal = (stream: Readable | Writable, signal: AbortSignal | undefined): void => {
  if (signal === undefined) return
  if (signal.aborted) {
    stream.destroy(signal.reason)
    return
  }
  const aborting = onAbort(signal, (reason) => void stream.destroy(reason as Error))
  stream.once('close', () => aborting[Symbol.dispose]())
}

/** Reads a remote file as a Node `Readable` of Buffers; see {@link SftpClient.createReadStream}. */
export class SftpReadStream extends Readable {
  /** The remote path being read. */
  readonly path: string
  /** Bytes delivered so far. */
  bytesRead = 0
  readonly #session: SftpSession
  readonly #flags: SftpReadStreamOptions['flags'] & string
  #position: number
  readonly #end: number
  #file: RemoteFile | undefined

  /** Creates the stream; the file is opened on first use. */
  constructor(session: SftpSession, path: string, o: SftpReadStreamOptions = {}) {
    const highWaterMark = positiveInt('highWaterMark', o.highWaterMark, 64 * 1024)
    super({ highWaterMark })
    const flags = o.flags ?? 'r'
    checkOpenFlags(flags)
    this.path = path
    this.#session = session
    this.#flags = flags
    this.#position = nonNegative('start', o.start, 0)
    this.#end = nonNegative('end', o.end, Number.POSITIVE_INFINITY)
    if (this.#end < this.#position) throw new RangeError(`end (${this.#end}) is before start (${this.#position})`)
    bindSignal(this, o.signal)
  }

  override _construct(callback: (error?: Error | null) => void): void {
    openRemote(this.#session, this.path, this.#flags).then(
      (file) => {
        this.#file = file
        callback()
      },
      (err: Error) => callback(err),
    )
  }

  override _read(size: number): void {
    const file = this.#file
    const length = Math.min(size, this.#end - this.#position + 1)
    if (file === undefined || length <= 0) {
      this.push(null)
      return
    }
    readRemote(file, Buffer.allocUnsafe(length), length, this.#position).then(
      (data) => {
        if (data.length === 0) {
          this.push(null)
          return
        }
        this.#position += data.length
        this.bytesRead += data.length
        this.push(data)
      },
      (err: Error) => this.destroy(err),
    )
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const file = this.#file
    this.#file = undefined
    if (file === undefined) callback(error)
    else void closeQuietly(file).then(() => callback(error))
  }
}

/** Writes a remote file as a Node `Writable`; see {@link SftpClient.createWriteStream}. */
export class SftpWriteStream extends Writable {
  /** The remote path being written. */
  readonly path: string
  /** Bytes acknowledged by the server so far. */
  bytesWritten = 0
  readonly #session: SftpSession
  readonly #flags: SftpWriteStreamOptions['flags'] & string
  readonly #mode: number | undefined
  #position: number
  #file: RemoteFile | undefined
  #inFlight = 0
  #failed: Error | undefined
  readonly #idle: Array<() => void> = []

  /** Creates the stream; the file is opened on first use. */
  constructor(session: SftpSession, path: string, o: SftpWriteStreamOptions = {}) {
    super({ decodeStrings: true })
    const flags = o.flags ?? 'w'
    checkOpenFlags(flags)
    checkMode(o.mode)
    this.path = path
    this.#session = session
    this.#flags = flags
    this.#mode = o.mode
    this.#position = nonNegative('start', o.start, 0)
    bindSignal(this, o.signal)
  }

  override _construct(callback: (error?: Error | null) => void): void {
    openRemote(this.#session, this.path, this.#flags, { mode: this.#mode }).then(
      (file) => {
        this.#file = file
        callback()
      },
      (err: Error) => callback(err),
    )
  }

  // Up to MAX_IN_FLIGHT writes travel at once (each at its own offset), so a stream is not
  // limited to one chunk per round trip; `callback` is held back only when the window is full.
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const file = this.#file
    if (file === undefined || this.#failed !== undefined) {
      callback(this.#failed ?? new Error('write after the file was closed'))
      return
    }
    const position = this.#position
    this.#position += chunk.length
    this.#inFlight += 1
    let held: typeof callback | undefined = callback
    if (this.#inFlight < MAX_IN_FLIGHT) {
      held = undefined
      callback()
    }
    writeRemote(file, chunk, position).then(
      () => {
        this.bytesWritten += chunk.length
        this.#settled(held)
      },
      (err: Error) => {
        this.#failed ??= err
        this.#settled(held)
      },
    )
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#drained().then(() => {
      const file = this.#file
      this.#file = undefined
      if (this.#failed !== undefined) callback(this.#failed)
      else if (file === undefined) callback()
      else closeRemote(file).then(() => callback(), callback)
    }, callback)
  }

  #settled(held: ((error?: Error | null) => void) | undefined): void {
    this.#inFlight -= 1
    if (held !== undefined) held(this.#failed)
    else if (this.#failed !== undefined && !this.destroyed) this.destroy(this.#failed)
    if (this.#inFlight === 0) for (const wake of this.#idle.splice(0)) wake()
  }

  #drained(): Promise<void> {
    return this.#inFlight === 0 ? Promise.resolve() : new Promise((resolve) => this.#idle.push(resolve))
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    void this.#drained().then(async () => {
      const file = this.#file
      this.#file = undefined
      if (file !== undefined) await closeQuietly(file)
      callback(error)
    })
  }
}
