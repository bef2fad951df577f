/**
 * One forwarded connection: a TCP socket and an SSH channel piped into each other.
 * @internal
 */
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'

/**
 * Pipes a socket and a channel both ways with backpressure (`pipe` pauses the side whose peer
 * is full, so nothing buffers without bound) and half-close: EOF on one side ends the other's
 * writing, as `ssh` does. When one side closes cleanly the other is ended and destroyed once its
 * queued data is written; an error on either side destroys both at once.
 */
export class Bridge {
  /** The TCP side. */
  readonly socket: Socket
  readonly #onClosed: () => void
  #channel: Duplex | undefined
  #open = 1
  #done = false

  /** Takes `socket` (connected or connecting) and calls `onClosed` once both sides have closed. */
  constructor(socket: Socket, onClosed: () => void) {
    this.socket = socket
    this.#onClosed = onClosed
    socket.setNoDelay(true)
    socket.on('error', () => this.destroy())
    socket.once('close', () => {
      endSoon(this.#channel)
      this.#settle()
    })
  }

  /** Connects the channel; a channel that arrives after the socket closed is destroyed. */
  attach(channel: Duplex): void {
    if (this.#channel) throw new Error('Bridge: a channel is already attached')
    channel.on('error', () => this.destroy())
    if (this.#done || this.socket.destroyed) {
      channel.destroy()
      return
    }
    this.#channel = channel
    this.#open += 1
    channel.once('close', () => {
      endSoon(this.socket)
      this.#settle()
    })
    this.socket.pipe(channel)
    channel.pipe(this.socket)
  }

  /** Destroys both sides at once. */
  destroy(): void {
    this.socket.destroy()
    this.#channel?.destroy()
  }

  #settle(): void {
    this.#open -= 1
    if (this.#open > 0 || this.#done) return
    this.#done = true
    this.#onClosed()
  }
}

/** Ends `stream` and destroys it once its queued writes are out (`net.Socket#destroySoon`). */
function endSoon(stream: Duplex | undefined): void {
  if (!stream || stream.destroyed) return
  if (!stream.writableEnded) stream.end()
  if (stream.writableFinished) stream.destroy()
  else stream.once('finish', () => stream.destroy())
}
