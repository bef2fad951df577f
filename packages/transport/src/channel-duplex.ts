import { Duplex, type DuplexOptions } from 'node:stream'
import { ConnectionLostError } from './errors.js'
import type { TransportEndView } from './internal/transport-end.js'

/**
 * The part of an ssh2 channel stream this module relies on (ssh2 1.17 `Channel`). ssh2's
 * channel has quirks we shield users from: its `destroy()` only sends EOF + CLOSE, it emits
 * `'close'` by hand with `emitClose: false`, and a write after the channel closed never calls
 * back. @internal
 */
export interface RawChannel extends Duplex {
  /** Sends SSH_MSG_CHANNEL_CLOSE (RFC 4254 §5.3). */
  close(): void
}

type WriteCallback = (error: Error | null | undefined) => void

/** Why a write after the channel closed fails. */
function closedError(): ConnectionLostError {
  return new ConnectionLostError('the SSH channel is closed')
}

/**
 * Adapts a raw SSH channel stream into a well-behaved Node Duplex: backpressure in both
 * directions, `destroy()` that really frees the channel, writes after close that fail instead
 * of hanging, and an inner stream that can arrive later (a session channel opens with its
 * first request) or move to another wrapper. Base of `Channel` and `ChannelSocket`; not
 * exported by itself.
 */
export class ChannelDuplex extends Duplex {
  #inner: RawChannel | undefined
  #innerClosed = false
  #pendingWrite: (() => void) | undefined
  /** Fails the write that waits for the channel or for window space (on destroy). */
  #failPendingWrite: ((error: Error) => void) | undefined
  #pendingFinal: (() => void) | undefined
  #detach: (() => void) | undefined
  #transportEnd: TransportEndView | undefined

  /**
   * Creates the wrapper; a subclass attaches the channel once it exists. `transportEnd` is the
   * end of the Transport the channel belongs to (see internal/transport-end.ts). @internal
   */
  constructor(options: DuplexOptions = {}, transportEnd?: TransportEndView) {
    super({ allowHalfOpen: true, ...options })
    this.#transportEnd = transportEnd
  }

  /** The end of the Transport this channel belongs to, when a Transport made it. @internal */
  protected get transportEnd(): TransportEndView | undefined {
    return this.#transportEnd
  }

  /** The wrapped raw channel, if attached. @internal */
  protected get inner(): RawChannel | undefined {
    return this.#inner
  }

  /** Whether the raw channel has been closed by either side. @internal */
  protected get innerClosed(): boolean {
    return this.#innerClosed
  }

  /** Connects this wrapper to an opened raw channel and flushes any write that waited for it. @internal */
  protected attach(inner: RawChannel): void {
    if (this.#inner) throw new Error('ChannelDuplex: already attached')
    this.#inner = inner
    const onData = (chunk: Buffer): void => {
      // After destroy() the data is dropped, not paused on: ssh2 1.17 emits 'close' only after 'end'.
      if (this.destroyed) return
      if (!this.push(chunk)) inner.pause()
    }
    const onEnd = (): void => {
      this.push(null)
    }
    const onError = (err: Error): void => {
      this.destroy(err)
    }
    const onClose = (): void => {
      this.#innerClosed = true
      // CLOSE implies no more data even without EOF (RFC 4254 §5.3).
      this.push(null)
      this.#resumePending()
      this.onInnerClose()
      // CLOSE also ends our direction: nothing more can be sent. Without this a half-open
      // wrapper (Channel) whose caller never called end() stayed writable, so Node never
      // auto-destroyed it and its 'close' never came (ssh2 ends its own channel the same way).
      // Node emits 'close' once our readable side's 'end' has been emitted as well.
      if (!this.destroyed && !this.writableEnded) this.end()
    }
    inner.on('data', onData)
    inner.on('end', onEnd)
    inner.on('error', onError)
    inner.on('close', onClose)
    this.#detach = () => {
      inner.off('data', onData)
      inner.off('end', onEnd)
      inner.off('error', onError)
      inner.off('close', onClose)
    }
    this.#resumePending()
  }

  /** Re-runs the write and the end that waited for the channel (or fails them once it closed). */
  #resumePending(): void {
    const write = this.#pendingWrite
    this.#pendingWrite = undefined
    this.#failPendingWrite = undefined
    write?.()
    const final = this.#pendingFinal
    this.#pendingFinal = undefined
    final?.()
  }

  /**
   * Moves the raw channel and any unread data from `other` into this wrapper, leaving `other`
   * detached and ended. Used by `Channel.asSocket()`. @internal
   */
  protected adoptFrom(other: ChannelDuplex): void {
    const inner = other.#inner
    if (!inner) throw new Error('ChannelDuplex: the channel is not open yet')
    this.#transportEnd ??= other.#transportEnd
    other.#detach?.()
    other.#detach = undefined
    other.#inner = undefined
    let chunk: Buffer | null
    while ((chunk = other.read() as Buffer | null) !== null) this.push(chunk)
    const ended = other.readableEnded || (other as unknown as { _readableState: { ended: boolean } })._readableState.ended
    other.push(null)
    other.destroy()
    if (other.#innerClosed) {
      this.#innerClosed = true
      this.push(null)
      return
    }
    if (ended) this.push(null)
    this.attach(inner)
  }

  /** Called once when the raw channel closes; subclasses record exit state here. @internal */
  protected onInnerClose(): void {}

  /**
   * A write after the channel closed fails with ConnectionLostError (and destroys this
   * stream, as a failed write does), not with Node's 'write after end' for the end() above.
   */
  override write(chunk: unknown, encodingOrCallback?: BufferEncoding | WriteCallback, callback?: WriteCallback): boolean {
    if (this.#innerClosed) {
      const cb = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback
      const err = closedError()
      if (cb) process.nextTick(cb, err)
      this.destroy(err)
      return false
    }
    return super.write(chunk, encodingOrCallback as BufferEncoding, callback)
  }

  override _read(): void {
    this.#inner?.resume()
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const inner = this.#inner
    if (this.#innerClosed) return callback(closedError())
    if (!inner) {
      this.#pendingWrite = () => this._write(chunk, encoding, callback)
      this.#failPendingWrite = callback
      return
    }
    if (inner.write(chunk)) return callback()
    const onDrain = (): void => {
      this.#pendingWrite = undefined
      this.#failPendingWrite = undefined
      callback()
    }
    const fail = (error: Error): void => {
      inner.off('drain', onDrain)
      callback(error)
    }
    inner.once('drain', onDrain)
    // If the channel closes while we wait for window space, fail instead of hanging.
    this.#pendingWrite = () => fail(closedError())
    this.#failPendingWrite = fail
  }

  override _final(callback: (error?: Error | null) => void): void {
    const inner = this.#inner
    if (this.#innerClosed) return callback()
    if (!inner) {
      this.#pendingFinal = () => this._final(callback)
      return
    }
    // ssh2 1.17 calls a write back while its tail still waits for window space (Channel#_chunk)
    // and sends it later; the ssh2 channel's 'finish' follows that data and the EOF. Finishing
    // before it would let autoDestroy send CHANNEL_CLOSE ahead of the data (a truncated stream).
    if (inner.writableFinished) return callback()
    const onFinish = (): void => {
      this.#pendingFinal = undefined
      callback()
    }
    inner.once('finish', onFinish)
    // The channel may close first (the peer's CLOSE): #resumePending then finishes us.
    this.#pendingFinal = () => {
      inner.off('finish', onFinish)
      callback()
    }
    inner.end()
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const inner = this.#inner
    const failWrite = this.#failPendingWrite
    this.#pendingWrite = undefined
    this.#failPendingWrite = undefined
    this.#pendingFinal = undefined
    if (inner && !this.#innerClosed) {
      // ssh2's own destroy() only ends and sends CLOSE; that is what frees the channel.
      try {
        inner.destroy()
      } catch {
        // The transport may already be gone; nothing else to free.
      }
    }
    // Drain what ssh2 still buffers so it can emit 'end' and then 'close' (onInnerClose runs).
    inner?.resume()
    callback(error)
    // Node never calls back a write that is still in _write when the stream is destroyed, nor
    // the ones queued behind it; failing it lets Node fail those with ERR_STREAM_DESTROYED.
    failWrite?.(error ?? closedError())
  }
}
