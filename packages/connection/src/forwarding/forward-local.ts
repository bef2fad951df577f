/**
 * Local port forwarding (`ssh -L`, RFC 4254 §7.2): Fabric's `Connection.forward_local`.
 */
import { setMaxListeners } from 'node:events'
import { createServer, type Server, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { ConnectionLostError, ForwardError, onAbort, type SSHError, type Transport } from '@x/transport'
import { Bridge } from './bridge.js'
import { checkCommon, checkHost, checkPort, checkTransport } from './check.js'
import { CloseCause } from './close-cause.js'
import { onTransportEnd } from './on-transport-end.js'
import type { LocalForward, LocalForwardOptions } from './types.js'

/** How long `close()` waits for the listener to report closed. */
const CLOSE_BOUND_MS = 5_000

/**
 * Listens on `localHost:localPort` and forwards each accepted connection through `transport` to
 * `remoteHost:remotePort` as seen from the server; Fabric's `Connection.forward_local`, OpenSSH's
 * `ssh -L`, paramiko's `forward.py` demo.
 *
 * Each connection opens its own `direct-tcpip` channel (the originator is the client's address)
 * and is piped both ways with backpressure and half-close; Nagle is off on accepted sockets. A
 * channel the server refuses (target down, forwarding prohibited) closes only that socket and is
 * reported to `onConnectionError`. The forward closes itself when the transport closes, freeing
 * the port. Nothing it owns ever emits an unheard 'error'.
 *
 * @example
 * ```ts
 * await using fwd = await forwardLocal(transport, { remoteHost: 'db.internal', remotePort: 5432 })
 * const client = new pg.Client({ host: fwd.host, port: fwd.port })
 * ```
 * @throws ForwardError when the local port cannot be bound (`cause`: EADDRINUSE, EACCES, …).
 * @throws ConnectionLostError when the transport is closed; SSHError when it is not authenticated.
 * @throws TypeError / RangeError for invalid options.
 * @throws `signal.reason` when aborted during setup.
 */
export async function forwardLocal(transport: Transport, options: LocalForwardOptions): Promise<LocalForward> {
  const remotePort = checkPort('remotePort', options.remotePort, false)
  const localPort = checkPort('localPort', options.localPort ?? 0, true)
  const localHost = checkHost('localHost', options.localHost, '127.0.0.1')
  const remoteHost = checkHost('remoteHost', options.remoteHost, 'localhost')
  checkCommon(options)
  options.signal?.throwIfAborted()
  checkTransport(transport)
  const forward = new LocalForwarder(transport, remoteHost, remotePort, options.onConnectionError)
  try {
    await forward.listen(localHost, localPort, options.signal)
  } catch (err) {
    await forward.close()
    throw err
  }
  return forward
}

/** The handle behind {@link forwardLocal}. */
class LocalForwarder implements LocalForward {
  readonly remoteHost: string
  readonly remotePort: number
  readonly #transport: Transport
  readonly #server: Server
  readonly #bridges = new Set<Bridge>()
  readonly #opening = new AbortController()
  readonly #onConnectionError: ((error: Error) => void) | undefined
  readonly #unwatch: () => void
  #address = { host: '', port: 0 }
  #aborting: Disposable | undefined
  #listening = false
  #closing: Promise<void> | undefined
  readonly #cause = new CloseCause()

  constructor(transport: Transport, remoteHost: string, remotePort: number, onConnectionError?: (error: Error) => void) {
    this.#transport = transport
    this.remoteHost = remoteHost
    this.remotePort = remotePort
    this.#onConnectionError = onConnectionError
    // Every channel still opening listens on this one signal (removed when it settles): a burst
    // of connections legitimately adds hundreds, which is no leak.
    setMaxListeners(0, this.#opening.signal)
    this.#server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.#accept(socket))
    // Always heard: accept failures (EMFILE) and a late bind error after close.
    this.#server.on('error', (err) => {
      if (this.#listening && this.#closing === undefined) this.#report(err)
    })
    // A listen that completes after close() (a host name being resolved) is closed at once.
    this.#server.on('listening', () => {
      if (this.#closing !== undefined) this.#server.close()
    })
    // The Transport's end closes the forward.
    this.#unwatch = onTransportEnd(transport, (error) => {
      this.#cause.note(error)
      void this.close().catch(() => {})
    })
  }

  get port(): number {
    return this.#address.port
  }

  get host(): string {
    return this.#address.host
  }

  get connections(): number {
    return this.#bridges.size
  }

  get closed(): boolean {
    return this.#closing !== undefined
  }

  /** Binds the listener; afterwards an abort of `signal` closes the forward. */
  async listen(host: string, port: number, signal: AbortSignal | undefined): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const done = (): void => {
        this.#server.off('listening', onListening)
        this.#server.off('error', onError)
        aborting[Symbol.dispose]()
      }
      const onListening = (): void => {
        done()
        resolve()
      }
      const onError = (err: Error): void => {
        done()
        reject(new ForwardError(`cannot listen on ${host}:${port} for a local forward: ${err.message}`, { cause: err }))
      }
      const aborting = onAbort(signal, (reason) => {
        done()
        reject(reason)
      })
      this.#server.once('listening', onListening)
      this.#server.once('error', onError)
      this.#server.listen({ host, port })
    })
    if (this.#closing !== undefined) throw new ConnectionLostError('the transport closed while the local forward was starting')
    this.#listening = true
    const address = this.#server.address()
    if (address && typeof address === 'object') this.#address = { host: address.address, port: address.port }
    this.#aborting = onAbort(signal, () => void this.close())
  }

  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.#closing = this.#shutdown()
      this.#closing.then(() => this.#cause.settle(), () => this.#cause.settle())
    }
    return this.#closing
  }

  waitClosed(): Promise<SSHError | undefined> {
    return this.#cause.promise
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  async #shutdown(): Promise<void> {
    this.#unwatch()
    this.#aborting?.[Symbol.dispose]()
    this.#opening.abort()
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()))
    for (const bridge of this.#bridges) bridge.destroy()
    const bound = new AbortController()
    await Promise.race([closed, sleep(CLOSE_BOUND_MS, undefined, { signal: bound.signal }).catch(() => {})])
    bound.abort()
  }

  #accept(socket: Socket): void {
    if (this.#closing !== undefined) {
      socket.on('error', () => {})
      socket.destroy()
      return
    }
    const bridge = new Bridge(socket, () => this.#bridges.delete(bridge))
    this.#bridges.add(bridge)
    const src: [string, number] = [socket.remoteAddress ?? '127.0.0.1', socket.remotePort ?? 0]
    this.#transport
      .openChannel('direct-tcpip', { dest: [this.remoteHost, this.remotePort], src, signal: this.#opening.signal })
      .then(
        (channel) => bridge.attach(channel),
        (err: unknown) => {
          bridge.destroy()
          if (this.#closing === undefined) this.#report(err)
        },
      )
  }

  #report(err: unknown): void {
    try {
      this.#onConnectionError?.(err instanceof Error ? err : new Error(String(err)))
    } catch {
      // A throwing callback must not take the forward down.
    }
  }
}
