/** One ProxyJump hop: a `direct-tcpip` channel of the previous hop's Transport (RFC 4254 §7.2). */
import type { ChannelSocket } from '@x/transport'

/**
 * What {@link openDirectTcpip} needs of the previous hop: a `Transport` (typed structurally so
 * that anything with the same `openChannel` fits).
 */
export interface DirectTcpipVia {
  openChannel(
    kind: 'direct-tcpip',
    options: { dest: readonly [string, number]; signal?: AbortSignal | undefined },
  ): Promise<{ asSocket(): ChannelSocket }>
}

/**
 * Opens a `direct-tcpip` channel from `via` to `host:port` and returns it as a socket, the
 * byte stream for the next hop's `Transport`; OpenSSH's ProxyJump hop (`ssh -W` without a
 * process), Go's `client.Dial('tcp', addr)`, paramiko's `open_channel('direct-tcpip', …)`.
 * `host` is resolved by the server at the other end, so names private to it work.
 *
 * @throws TypeError when `host` is not a non-empty string.
 * @throws RangeError when `port` is not an integer 1–65535.
 * @throws ChannelOpenError when the server refuses (forwarding off, connection refused there).
 * @throws TimeoutError with phase 'channel' when the server does not answer in time.
 * @throws ConnectionLostError when `via` is closed or closes meanwhile.
 * @throws `signal.reason` when `signal` aborts.
 * @example
 * ```ts
 * const sock = await openDirectTcpip(bastion, 'db.internal', 22)
 * const inner = new Transport(sock, { hostname: 'db.internal', port: 22 })
 * await inner.startClient()
 * ```
 */
export async function openDirectTcpip(
  via: DirectTcpipVia,
  host: string,
  port: number,
  options: { signal?: AbortSignal | undefined } = {},
): Promise<ChannelSocket> {
  if (typeof via?.openChannel !== 'function') throw new TypeError('via must have openChannel() (pass a Transport)')
  if (typeof host !== 'string' || host === '') throw new TypeError('host must be a non-empty string')
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError('port must be an integer 1–65535')
  const { signal } = options
  signal?.throwIfAborted()
  const channel = await via.openChannel('direct-tcpip', { dest: [host, port], ...(signal ? { signal } : {}) })
  return channel.asSocket()
}
