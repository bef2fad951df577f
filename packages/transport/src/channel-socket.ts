import { isIP, type AddressInfo } from 'node:net'
import { setTimeout as setTimer, clearTimeout as clearTimer } from 'node:timers'
import { ChannelDuplex, type RawChannel } from './channel-duplex.js'
import { ConnectionLostError } from './errors.js'
import type { TransportEndView } from './internal/transport-end.js'

/** Lists the `readyState` values `net.Socket` reports. */
export type SocketReadyState = 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed'

/**
 * Describes the ends of a channel for a {@link ChannelSocket}: for a `direct-tcpip` channel the
 * remote end is the destination the server connects to and the local end is the originator
 * address announced in the open request (RFC 4254 §7.2).
 */
export interface ChannelSocketInfo {
  /** Address the channel leads to (`net.Socket#remoteAddress`). */
  readonly remoteAddress?: string | undefined
  /** Port the channel leads to. */
  readonly remotePort?: number | undefined
  /** Originator address announced for the channel. */
  readonly localAddress?: string | undefined
  /** Originator port announced for the channel. */
  readonly localPort?: number | undefined
  /** Called when the socket goes from unref'd back to ref'd; see {@link ChannelSocket.ref}. */
  readonly ref?: (() => void) | undefined
  /** Called when the socket goes from ref'd to unref'd; see {@link ChannelSocket.unref}. */
  readonly unref?: (() => void) | undefined
}

/** The callback `write()` takes. */
type WriteCallback = (error: Error | null | undefined) => void

/** Maps an address to the family name `net.Socket` reports. */
function familyOf(address: string | undefined): string | undefined {
  if (address === undefined) return undefined
  const version = isIP(address)
  return version === 4 ? 'IPv4' : version === 6 ? 'IPv6' : undefined
}

/**
 * Presents an SSH channel as a `net.Socket`, so that `pg`, `mysql2`, `ioredis`,
 * `tls.connect({ socket })`, `http.request({ createConnection })` and undici can use it: the
 * channel is already connected when the socket exists (`connecting` is false, `readyState` is
 * `'open'`), `'connect'` and `'ready'` are emitted on the next tick, `connect()` only
 * re-announces them, `setTimeout()` runs a real idle timer, and `end()`/`destroy()` send EOF and
 * CLOSE on the channel. Like a `net.Socket` it is not half-open: when the peer sends EOF the
 * socket ends its side too. The Go counterpart is the `net.Conn` that `ssh.Client.Dial` returns.
 *
 * Differences from `net.Socket`: `setNoDelay()` and `setKeepAlive()` have nothing to set (SSH
 * keepalive lives on the `Transport`), `resetAndDestroy()` sends CHANNEL_CLOSE without EOF since
 * SSH has no reset, `bytesWritten` leaves out data still queued in the socket, and `'close'`
 * carries no `hadError` argument.
 *
 * @example
 * ```ts
 * const sock = await transport.openChannel('direct-tcpip', { dest: ['db.internal', 5432] })
 *   .then((ch) => ch.asSocket())
 * const client = new pg.Client({ stream: sock }) // pg calls sock.connect() and waits for 'connect'
 * ```
 */
export class ChannelSocket extends ChannelDuplex {
  readonly #info: ChannelSocketInfo
  #bytesRead = 0
  #bytesWritten = 0
  #timeoutMs: number | undefined
  #timer: NodeJS.Timeout | undefined
  #connected = false
  #connectScheduled = false
  #refed = true
  #endedByPeer = false
  #unwatch: Disposable | undefined

  /**
   * Creates a socket over `inner`, or an `'opening'` one that a subclass attaches later, on the
   * Transport whose end is `transportEnd`. Use {@link ChannelSocket.fromChannel} or
   * `Channel.asSocket()` instead. @internal
   */
  constructor(inner: RawChannel | undefined, info: ChannelSocketInfo = {}, transportEnd?: TransportEndView) {
    super({ allowHalfOpen: false }, transportEnd)
    this.#info = Object.freeze({ ...info })
    // Not half-open: the Duplex ends our side after 'end'; later writes fail as net.Socket's do.
    this.once('end', () => {
      this.#endedByPeer = true
    })
    if (inner) this.attach(inner)
  }

  /**
   * Moves an open channel, with any data it has received but nobody has read yet, into a new
   * socket; `channel` is left detached and destroyed. Backs `Channel.asSocket()`. @internal
   *
   * @throws Error if `channel` has not been opened yet.
   */
  static fromChannel(channel: ChannelDuplex, info: ChannelSocketInfo = {}): ChannelSocket {
    const socket = new ChannelSocket(undefined, info)
    try {
      socket.adoptFrom(channel)
    } catch (err) {
      socket.destroy()
      throw err
    }
    // adoptFrom() does not attach a channel that had already closed; it is still "connected".
    socket.#markConnected()
    return socket
  }

  /** Attaches the raw channel and announces the connection on the next tick. @internal */
  protected override attach(inner: RawChannel): void {
    if (this.destroyed) {
      // Destroyed while the channel was opening: free the channel instead of leaking it.
      try {
        inner.destroy()
      } catch {
        // The transport may already be gone.
      }
      return
    }
    super.attach(inner)
    // When the SSH connection goes away, the socket is destroyed as a reset TCP connection
    // destroys a net.Socket, also when nobody reads it (ssh2 would never close the channel then).
    this.#unwatch = this.transportEnd?.onEnd(() => this.destroy())
    this.#markConnected()
  }

  #markConnected(): void {
    if (this.#connected) return
    this.#connected = true
    this.#scheduleConnect()
  }

  #scheduleConnect(): void {
    if (this.#connectScheduled) return
    this.#connectScheduled = true
    process.nextTick(() => {
      this.#connectScheduled = false
      if (this.destroyed) return
      this.emit('connect')
      this.emit('ready')
    })
  }

  /** Restarts the idle timer after a read or a write, as `net.Socket` does. */
  #touch(): void {
    this.#timer?.refresh()
  }

  /** Tells whether the channel is still being opened (`net.Socket#connecting`). */
  get connecting(): boolean {
    return !this.#connected && !this.destroyed
  }

  /** Tells whether the socket has no open channel: not attached yet, or destroyed (`net.Socket#pending`). */
  get pending(): boolean {
    return !this.#connected || this.destroyed
  }

  /** Reports the socket's state exactly as `net.Socket#readyState` computes it. */
  get readyState(): SocketReadyState {
    if (this.connecting) return 'opening'
    if (this.readable && this.writable) return 'open'
    if (this.readable && !this.writable) return 'readOnly'
    if (!this.readable && this.writable) return 'writeOnly'
    return 'closed'
  }

  /** Counts the bytes received from the channel, including data carried over by `fromChannel`. */
  get bytesRead(): number {
    return this.#bytesRead
  }

  /** Counts the bytes handed to the channel (data still queued in this socket is not included). */
  get bytesWritten(): number {
    return this.#bytesWritten
  }

  /** Returns the idle timeout set by {@link setTimeout}, or `undefined` when none was set. */
  get timeout(): number | undefined {
    return this.#timeoutMs
  }

  /** Returns the address the channel leads to, if known. */
  get remoteAddress(): string | undefined {
    return this.#info.remoteAddress
  }

  /** Returns the port the channel leads to, if known. */
  get remotePort(): number | undefined {
    return this.#info.remotePort
  }

  /** Returns `'IPv4'` or `'IPv6'` for {@link remoteAddress}, `undefined` for a host name. */
  get remoteFamily(): string | undefined {
    return familyOf(this.#info.remoteAddress)
  }

  /** Returns the originator address announced for the channel, if known. */
  get localAddress(): string | undefined {
    return this.#info.localAddress
  }

  /** Returns the originator port announced for the channel, if known. */
  get localPort(): number | undefined {
    return this.#info.localPort
  }

  /** Returns `'IPv4'` or `'IPv6'` for {@link localAddress}, `undefined` for a host name. */
  get localFamily(): string | undefined {
    return familyOf(this.#info.localAddress)
  }

  /** Returns the local end as `net.Socket#address()` does, or `{}` when it is unknown. */
  address(): AddressInfo | Record<string, never> {
    const { localAddress, localPort } = this.#info
    if (localAddress === undefined) return {}
    return { address: localAddress, family: familyOf(localAddress) ?? '', port: localPort ?? 0 }
  }

  /**
   * Announces the connection again, since the channel is connected already: emits `'connect'`
   * and `'ready'` asynchronously (at most once per tick) and returns the socket. Address
   * arguments are ignored; a trailing function becomes a one-shot `'connect'` listener. `pg`
   * calls `stream.connect(port, host)` and waits for `'connect'`.
   *
   * @throws ConnectionLostError if the socket was destroyed: a channel cannot be reconnected.
   */
  connect(...args: unknown[]): this {
    if (this.destroyed) throw new ConnectionLostError('the SSH channel socket is destroyed and cannot reconnect')
    const last = args[args.length - 1]
    if (typeof last === 'function') this.once('connect', last as () => void)
    // Before the channel is attached, attach() announces it.
    if (this.#connected) this.#scheduleConnect()
    return this
  }

  /**
   * Sets the idle timeout: emits `'timeout'` after `ms` without reads or writes, restarting on
   * activity; `0` disables it. Like `net.Socket`, it does not destroy the socket, the timer
   * does not keep the process alive, and `callback` becomes a one-shot `'timeout'` listener.
   *
   * @throws RangeError if `ms` is negative or not a finite number.
   */
  setTimeout(ms: number, callback?: () => void): this {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
      throw new RangeError(`ChannelSocket.setTimeout: ms must be a finite number >= 0, got ${String(ms)}`)
    }
    if (this.destroyed) return this
    this.#timeoutMs = ms
    clearTimer(this.#timer)
    this.#timer = undefined
    if (ms === 0) {
      if (callback) this.off('timeout', callback)
      return this
    }
    this.#timer = setTimer(() => this.emit('timeout'), ms)
    this.#timer.unref()
    if (callback) this.once('timeout', callback)
    return this
  }

  /** Returns the socket unchanged: an SSH channel has no Nagle algorithm to switch off. */
  setNoDelay(_noDelay?: boolean): this {
    return this
  }

  /**
   * Returns the socket unchanged: a channel has no TCP keepalive of its own. Dead peers are
   * detected by SSH keepalive on the `Transport` (`keepalive` option / `setKeepalive()`).
   */
  setKeepAlive(_enable?: boolean, _initialDelayMs?: number): this {
    return this
  }

  /**
   * Marks the socket referenced again after {@link unref}, as net.Socket does. The event loop is
   * held by the SSH connection's own TCP socket, which stays referenced until the Transport
   * closes: this only calls the `ref` hook of {@link ChannelSocketInfo}, when one was given
   * (sockets from `Channel.asSocket()` have none today).
   */
  ref(): this {
    if (!this.#refed) {
      this.#refed = true
      this.#info.ref?.()
    }
    return this
  }

  /**
   * Marks the socket unreferenced (undici does this to idle sockets). It does not let the process
   * exit while the Transport is open, whose TCP socket holds the event loop; it calls the `unref`
   * hook of {@link ChannelSocketInfo} when one was given. Calls are balanced: a socket destroyed
   * while unref'd calls `ref` once more.
   */
  unref(): this {
    if (this.#refed && !this.destroyed) {
      this.#refed = false
      this.#info.unref?.()
    }
    return this
  }

  /** Ends the socket and destroys it once all queued data is written, as `net.Socket` does. */
  destroySoon(): void {
    if (this.writable) this.end()
    if (this.writableFinished) this.destroy()
    else this.once('finish', () => this.destroy())
  }

  /**
   * Closes the channel abruptly and destroys the socket: sends CHANNEL_CLOSE without EOF and
   * drops unsent data, the nearest SSH has to a TCP reset (RFC 4254 §5.3).
   */
  resetAndDestroy(): this {
    if (this.destroyed) return this
    if (this.inner && !this.innerClosed) {
      try {
        // ssh2 1.17: close() marks the channel closing, so the EOF destroy() would send is skipped.
        this.inner.close()
      } catch {
        // The transport may already be gone.
      }
    }
    return this.destroy()
  }

  /** Counts received bytes and restarts the idle timer; called for every chunk read from the channel. */
  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk !== null && chunk !== undefined) {
      this.#bytesRead += Buffer.isBuffer(chunk) ? chunk.length : Buffer.byteLength(String(chunk), encoding)
      this.#touch()
    }
    return super.push(chunk, encoding)
  }

  /**
   * Writes `chunk` to the channel; returns `false` when the caller should wait for `'drain'`.
   * After the peer has ended the channel it fails with `EPIPE` ("This socket has been ended by
   * the other party") and destroys the socket, as `net.Socket` does.
   */
  override write(
    chunk: unknown,
    encodingOrCallback?: BufferEncoding | WriteCallback,
    callback?: WriteCallback,
  ): boolean {
    if (this.#endedByPeer && this.writableEnded) {
      const cb = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback
      const err: NodeJS.ErrnoException = new Error('This socket has been ended by the other party')
      err.code = 'EPIPE'
      if (cb) process.nextTick(cb, err)
      this.destroy(err)
      return false
    }
    return super.write(chunk, encodingOrCallback as BufferEncoding, callback)
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    // The base defers a write until the channel is attached and then calls _write again: count
    // only the call that hands the chunk to the channel.
    if (this.inner && !this.innerClosed) {
      this.#bytesWritten += chunk.length
      this.#touch()
    }
    super._write(chunk, encoding, (error) => {
      if (!error) this.#touch()
      callback(error)
    })
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#unwatch?.[Symbol.dispose]()
    this.#unwatch = undefined
    clearTimer(this.#timer)
    this.#timer = undefined
    if (!this.#refed) {
      this.#refed = true
      this.#info.ref?.()
    }
    super._destroy(error, callback)
  }
}
