/**
 * The forwardings of one connection: direct-tcpip channels relayed to a TCP connection the server
 * makes (`ssh -L`, `-W`, `-D`), and tcpip-forward listeners whose connections become
 * forwarded-tcpip channels (`ssh -R`). Everything is closed with the connection.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { Channel, ServerChannel, Transport } from '@x/transport'
import type { Awaitable, RemoteListener } from './listen-options.js'

/** Makes a tcpip-forward listener elsewhere ({@link ForwardingPolicy.listen}), bound to one login. @internal */
export type ListenerMaker = (address: string, port: number, open: (origin: readonly [string, number]) => Promise<Channel>) => Awaitable<RemoteListener | false>

/** Joins two streams both ways; either side's end or error tears both down. @internal */
export function relay(a: Channel | ServerChannel, b: Duplex): void {
  a.pipe(b)
  b.pipe(a)
  const stop = (): void => {
    a.destroy()
    b.destroy()
  }
  a.on('error', stop).on('close', () => b.destroy())
  b.on('error', stop).on('close', () => {
    if (!a.writableEnded) a.end()
  })
}

/** Where GatewayPorts=no binds a remote forward: the loopback unless a specific loopback address is asked. @internal */
export function bindAddressOf(address: string): string {
  if (address === '' || address === '*' || address === '0.0.0.0' || address === '::' || address === 'localhost') return '127.0.0.1'
  return address
}

/** The connection's forwarding state. @internal */
export class Forwardings {
  readonly #listeners = new Map<string, Server | RemoteListener>()
  readonly #sockets = new Set<Socket>()
  readonly #streams = new Set<Duplex>()
  #closed = false

  /** Relays a direct-tcpip channel to `host:port` (or to what `open` makes); the channel is destroyed when that fails. */
  connect(channel: ServerChannel, host: string, port: number, open?: () => Awaitable<Duplex>): void {
    if (this.#closed) return void channel.destroy()
    if (open) {
      Promise.resolve()
        .then(open)
        .then((stream) => {
          if (this.#closed || channel.destroyed) return void stream.destroy()
          this.#streams.add(stream)
          stream.once('close', () => this.#streams.delete(stream))
          relay(channel, stream)
        }, () => channel.destroy())
      return
    }
    const sock = createConnection({ host, port })
    this.#track(sock)
    const early = (): void => {
      channel.destroy()
    }
    sock.once('error', early)
    sock.once('connect', () => {
      sock.off('error', early)
      relay(channel, sock)
    })
    channel.once('close', () => sock.destroy())
  }

  /**
   * Starts a tcpip-forward listener — here, or through `make` — and resolves with the port
   * bound, or false when it cannot bind.
   */
  async listen(transport: Transport<'server'>, address: string, port: number, make?: ListenerMaker): Promise<number | false> {
    if (this.#closed) return false
    if (make) return this.#listenWith(make, transport, address, port)
    const host = bindAddressOf(address)
    const server = createServer((sock) => {
      this.#track(sock)
      const origin: [string, number] = [sock.remoteAddress ?? '127.0.0.1', sock.remotePort ?? 0]
      transport.openForwardedTcpipChannel([address, bound], origin).then(
        (channel) => relay(channel, sock),
        () => sock.destroy(),
      )
    })
    let bound = 0
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen({ host, port, exclusive: true }, () => {
          server.off('error', reject)
          resolve()
        })
      })
    } catch {
      server.close()
      return false
    }
    const a = server.address()
    bound = typeof a === 'object' && a ? a.port : port
    this.#listeners.set(`${address}\0${port === 0 ? bound : port}`, server)
    return bound
  }

  async #listenWith(make: ListenerMaker, transport: Transport<'server'>, address: string, port: number): Promise<number | false> {
    let bound = port
    const listener = await make(address, port, (origin) => transport.openForwardedTcpipChannel([address, bound], origin))
    if (listener === false) return false
    bound = listener.port
    if (this.#closed) {
      listener.close()
      return false
    }
    this.#listeners.set(`${address}\0${port === 0 ? bound : port}`, listener)
    return bound
  }

  /** Closes a tcpip-forward listener (cancel-tcpip-forward). */
  cancel(address: string, port: number): boolean {
    const key = `${address}\0${port}`
    const server = this.#listeners.get(key)
    if (!server) return false
    this.#listeners.delete(key)
    server.close()
    return true
  }

  /** How many listeners are open. */
  get listenerCount(): number {
    return this.#listeners.size
  }

  #track(sock: Socket): void {
    this.#sockets.add(sock)
    sock.once('close', () => this.#sockets.delete(sock))
  }

  /** Closes every listener and relayed connection. */
  close(): void {
    this.#closed = true
    for (const s of this.#listeners.values()) s.close()
    this.#listeners.clear()
    for (const s of this.#sockets) s.destroy()
    this.#sockets.clear()
    for (const s of this.#streams) s.destroy()
    this.#streams.clear()
  }
}
