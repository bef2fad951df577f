/**
 * Remote (server → client) port forwarding, RFC 4254 §7: `tcpip-forward` requests, the
 * `forwarded-tcpip` channels they bring, and paramiko's `accept()` queue for forwards without
 * a handler.
 */
import { Channel } from './channel.js'
import type { RawChannel } from './channel-duplex.js'
import { ForwardError } from './errors.js'
import { onAbort } from './internal/abort.js'
import type { ClientProtocol, ForwardedTcpipInfo } from './internal/client-protocol.js'
import type { TransportEndView } from './internal/transport-end.js'

/** Where a forwarded connection came from and which forward it arrived on. */
export interface ForwardedConnectionInfo {
  /** The client that connected to the server's listener: [address, port]. */
  readonly origin: readonly [string, number]
  /** The listener it connected to: [address, port]. */
  readonly server: readonly [string, number]
}

/** Receives a forwarded connection; paramiko's `handler(channel, origin, server)`. */
export type ForwardHandler = (channel: Channel, info: ForwardedConnectionInfo) => void

interface Waiter {
  resolve(channel: Channel | null): void
}

const MAX_QUEUED = 256

/** Remote forwards of one transport and the queue behind `accept()`. @internal */
export class RemoteForwards {
  readonly #protocol: ClientProtocol
  readonly #end: TransportEndView
  readonly #handlers = new Map<string, ForwardHandler | null>()
  readonly #queue: Channel[] = []
  readonly #waiters = new Set<Waiter>()
  #closed = false

  /** Starts routing the forwarded-tcpip channels of `protocol`; each gets the Transport's `end`. */
  constructor(protocol: ClientProtocol, end: TransportEndView) {
    this.#protocol = protocol
    this.#end = end
    protocol.onForwardedTcpip((info, accept, reject) => this.#incoming(info, accept, reject))
  }

  /** Asks the server to listen on `address:port`; resolves with the bound port. */
  request(address: string, port: number, handler: ForwardHandler | null, track: <T>(start: (res: (v: T) => void, rej: (e: unknown) => void) => void) => Promise<T>): Promise<number> {
    return track<number>((resolve, reject) => {
      this.#protocol.requestForward(address, port, (err, bound) => {
        if (err) return reject(new ForwardError(`server refused to listen on ${address}:${port}: ${err.message}`, { cause: err }))
        const boundPort = port === 0 ? bound : port
        this.#handlers.set(keyOf(address, boundPort), handler)
        resolve(boundPort)
      })
    })
  }

  /** Cancels a forward; the server frees the port. */
  cancel(address: string, port: number, track: <T>(start: (res: (v: T) => void, rej: (e: unknown) => void) => void) => Promise<T>): Promise<void> {
    return track<void>((resolve, reject) => {
      this.#protocol.cancelForward(address, port, (err) => {
        if (err) return reject(new ForwardError(`server refused to cancel the forward on ${address}:${port}: ${err.message}`, { cause: err }))
        this.#handlers.delete(keyOf(address, port))
        resolve()
      })
    })
  }

  /** Resolves with the next queued forwarded channel, or null after `timeoutMs`. */
  accept(timeoutMs: number | undefined, signal: AbortSignal | undefined): Promise<Channel | null> {
    signal?.throwIfAborted()
    const queued = this.#queue.shift()
    if (queued) return Promise.resolve(queued)
    if (this.#closed) return Promise.resolve(null)
    return new Promise<Channel | null>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined
      const waiter: Waiter = {
        resolve: (channel) => {
          cleanup()
          resolve(channel)
        },
      }
      const cleanup = (): void => {
        this.#waiters.delete(waiter)
        if (timer) clearTimeout(timer)
        aborting[Symbol.dispose]()
      }
      this.#waiters.add(waiter)
      const aborting = onAbort(signal, (reason) => {
        cleanup()
        reject(reason)
      })
      if (timeoutMs !== undefined) timer = setTimeout(() => waiter.resolve(null), timeoutMs)
    })
  }

  /** The transport closed: waiters get null, queued channels are destroyed. */
  close(): void {
    this.#closed = true
    for (const waiter of [...this.#waiters]) waiter.resolve(null)
    for (const channel of this.#queue.splice(0)) channel.destroy()
  }

  #incoming(info: ForwardedTcpipInfo, accept: () => RawChannel, reject: () => void): void {
    const key = this.#keyFor(info.destIP, info.destPort)
    if (this.#closed || key === undefined) return reject()
    const handler = this.#handlers.get(key)
    if (!handler && this.#queue.length >= MAX_QUEUED) return reject()
    const channel = new Channel('forwarded-tcpip', accept(), {
      remoteAddress: info.srcIP,
      remotePort: info.srcPort,
      localAddress: info.destIP,
      localPort: info.destPort,
    }, this.#end)
    const details: ForwardedConnectionInfo = {
      origin: [info.srcIP, info.srcPort],
      server: [info.destIP, info.destPort],
    }
    if (handler) {
      try {
        handler(channel, details)
      } catch (err) {
        channel.destroy(err instanceof Error ? err : new Error(String(err)))
      }
      return
    }
    const waiter = this.#waiters.values().next().value as Waiter | undefined
    if (waiter) waiter.resolve(channel)
    else this.#queue.push(channel)
  }

  /** Finds the forward a connection arrived on: by address and port, else by port alone. */
  #keyFor(address: string, port: number): string | undefined {
    const exact = keyOf(address, port)
    if (this.#handlers.has(exact)) return exact
    for (const key of this.#handlers.keys()) if (key.endsWith(`\u0000${port}`)) return key
    return undefined
  }
}

function keyOf(address: string, port: number): string {
  return `${address}\u0000${port}`
}
