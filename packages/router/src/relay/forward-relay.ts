/**
 * The forwardings of a client, relayed through the router's connection to its host: a
 * direct-tcpip open (`ssh -L`, `-W`, `-D`) becomes a direct-tcpip channel from the host, and a
 * tcpip-forward request (`ssh -R`) a listener on the host whose connections come back to the
 * client as forwarded-tcpip channels.
 */
import type { Duplex } from 'node:stream'
import type { Channel, Transport } from '@x/transport'
import type { RemoteListener } from '@x/server'
import type { ByteCounter } from './byte-counter.js'

/** Joins two streams both ways with back-pressure; either side's end or error tears down both. */
export function joinStreams(a: Duplex, b: Duplex, counter?: ByteCounter): void {
  if (counter) {
    a.on('data', (d: Buffer) => counter.toHost(d.length))
    b.on('data', (d: Buffer) => counter.toClient(d.length))
  }
  a.pipe(b)
  b.pipe(a)
  const stop = (): void => {
    a.destroy()
    b.destroy()
  }
  a.on('error', stop).on('close', stop)
  b.on('error', stop).on('close', stop)
}

/** Opens `host:port` from the host (a direct-tcpip channel on `upstream`), as the client's -L/-W/-D asked. */
export async function openFromHost(upstream: Transport, host: string, port: number, origin: readonly [string, number]): Promise<Duplex> {
  return upstream.openChannel('direct-tcpip', { dest: [host, port], src: [origin[0], origin[1]] })
}

/**
 * Asks the host to listen on `address:port` for the client (`ssh -R`); each connection the host
 * forwards is relayed to a channel `open` makes to the client.
 * @throws ForwardError when the host refuses.
 */
export async function listenOnHost(
  upstream: Transport,
  address: string,
  port: number,
  open: (origin: readonly [string, number]) => Promise<Channel>,
  counter?: ByteCounter,
): Promise<RemoteListener> {
  const bound = await upstream.requestPortForward(address, port, (channel, info) => {
    open(info.origin).then(
      (toClient) => joinStreams(toClient, channel, counter),
      () => channel.destroy(),
    )
  })
  return {
    port: bound,
    close: () => {
      upstream.cancelPortForward(address, bound).catch(() => undefined)
    },
  }
}
