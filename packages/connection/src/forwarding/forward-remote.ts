/**
 * Remote port forwarding (`ssh -R`, RFC 4254 §7.1): Fabric's `Connection.forward_remote`.
 */
import { connect } from 'node:net'
import { ConnectionLostError, onAbort, raceSignal, type Channel, type SSHError, type Transport } from '@x/transport'
import { Bridge } from './bridge.js'
import { checkCommon, checkHost, checkPort, checkTransport } from './check.js'
import { CloseCause } from './close-cause.js'
import { onTransportEnd } from './on-transport-end.js'
import type { RemoteForward, RemoteForwardOptions } from './types.js'

/**
 * Asks the server to listen on `remoteHost:remotePort` and connects each connection it forwards
 * to `localHost:localPort`; Fabric's `Connection.forward_remote`, OpenSSH's `ssh -R`, paramiko's
 * `Transport.request_port_forward` with a handler.
 *
 * Each `forwarded-tcpip` channel gets its own local TCP connection, piped both ways with
 * backpressure and half-close (Nagle off). A local connection that fails (refused, unreachable)
 * destroys only that channel and is reported to `onConnectionError`. The forward closes itself
 * when the transport closes (the server frees the port with the connection).
 *
 * @example
 * ```ts
 * // Let the server's processes reach a service on this machine at 127.0.0.1:<rf.port>.
 * await using rf = await forwardRemote(transport, { localPort: 3000 })
 * ```
 * @throws ForwardError when the server refuses to listen (port taken, forwarding prohibited).
 * @throws TimeoutError with phase 'channel' when the server does not answer the request.
 * @throws ConnectionLostError when the transport is closed; SSHError when it is not authenticated.
 * @throws TypeError / RangeError for invalid options.
 * @throws `signal.reason` when aborted during setup (a forward granted later is cancelled).
 */
export async function forwardRemote(transport: Transport, options: RemoteForwardOptions): Promise<RemoteForward> {
  const localPort = checkPort('localPort', options.localPort, false)
  const remotePort = checkPort('remotePort', options.remotePort ?? 0, true)
  const localHost = checkHost('localHost', options.localHost, '127.0.0.1')
  const remoteHost = checkHost('remoteHost', options.remoteHost, '127.0.0.1')
  checkCommon(options)
  const { signal } = options
  signal?.throwIfAborted()
  checkTransport(transport)
  const forward = new RemoteForwarder(transport, remoteHost, localHost, localPort, options.onConnectionError)
  // Not handed to requestPortForward: its reply must be seen even after an abort, to cancel a
  // forward the server granted anyway (its port may be one we have not learnt yet).
  const request = transport.requestPortForward(remoteHost, remotePort, (channel) => forward.incoming(channel))
  try {
    forward.bound(await raceSignal(request, signal), signal)
  } catch (err) {
    void forward.close().catch(() => {})
    if (signal?.aborted) {
      request.then((port) => transport.cancelPortForward(remoteHost, port)).catch(() => {})
    }
    throw err
  }
  return forward
}

/** The handle behind {@link forwardRemote}. */
class RemoteForwarder implements RemoteForward {
  readonly host: string
  readonly localHost: string
  readonly localPort: number
  readonly #transport: Transport
  readonly #bridges = new Set<Bridge>()
  readonly #onConnectionError: ((error: Error) => void) | undefined
  readonly #unwatch: () => void
  #port = 0
  #granted = false
  #aborting: Disposable | undefined
  #closing: Promise<void> | undefined
  readonly #cause = new CloseCause()

  constructor(transport: Transport, host: string, localHost: string, localPort: number, onConnectionError?: (error: Error) => void) {
    this.#transport = transport
    this.host = host
    this.localHost = localHost
    this.localPort = localPort
    this.#onConnectionError = onConnectionError
    // The Transport's end closes the forward.
    this.#unwatch = onTransportEnd(transport, (error) => {
      this.#cause.note(error)
      void this.close().catch(() => {})
    })
  }

  get port(): number {
    return this.#port
  }

  get connections(): number {
    return this.#bridges.size
  }

  get closed(): boolean {
    return this.#closing !== undefined
  }

  /** Records the port the server bound; afterwards an abort of `signal` closes the forward. */
  bound(port: number, signal: AbortSignal | undefined): void {
    this.#port = port
    this.#granted = true
    if (this.#closing !== undefined) throw new ConnectionLostError('the transport closed while the remote forward was starting')
    this.#aborting = onAbort(signal, () => void this.close().catch(() => {}))
  }

  /** Connects one forwarded channel to the local target. */
  incoming(channel: Channel): void {
    if (this.#closing !== undefined) {
      channel.on('error', () => {})
      channel.destroy()
      return
    }
    const socket = connect({ host: this.localHost, port: this.localPort, allowHalfOpen: true })
    const bridge = new Bridge(socket, () => this.#bridges.delete(bridge))
    this.#bridges.add(bridge)
    let connected = false
    socket.once('connect', () => {
      connected = true
    })
    socket.once('error', (err) => {
      if (!connected && this.#closing === undefined) this.#report(err)
    })
    bridge.attach(channel)
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
    for (const bridge of this.#bridges) bridge.destroy()
    if (!this.#granted || !this.#transport.isActive) return
    try {
      await this.#transport.cancelPortForward(this.host, this.#port)
    } catch (err) {
      // A transport that went away meanwhile took the forward with it.
      if (!(err instanceof ConnectionLostError) && this.#transport.isActive) throw err
    }
  }

  #report(err: unknown): void {
    try {
      this.#onConnectionError?.(err instanceof Error ? err : new Error(String(err)))
    } catch {
      // A throwing callback must not take the forward down.
    }
  }
}
