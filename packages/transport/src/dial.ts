/** Dials the TCP connection of a Transport that was given 'host:port' rather than a stream. */
import { connect as netConnect, type Socket } from 'node:net'
import type { Track } from './channels.js'
import { translateTransportError } from './internal/translate-error.js'

/**
 * Connects to `target` with Nagle off; rejects with ConnectError (or the tracker's TimeoutError
 * with phase 'connect', or the signal's reason), destroying the half-open socket.
 * @internal
 */
export function dialTcp(target: { host: string; port: number }, track: Track, signal: AbortSignal | undefined, timeoutMs: number): Promise<Socket> {
  return track<Socket>((resolve, reject) => {
    const sock = netConnect({ host: target.host, port: target.port })
    sock.setNoDelay(true)
    const onError = (err: Error): void => {
      reject(translateTransportError(err, 'connect', target))
    }
    sock.once('error', onError)
    sock.once('connect', () => {
      sock.off('error', onError)
      resolve(sock)
    })
    return () => sock.destroy()
  }, { signal, timeoutMs, phase: 'connect', what: `connecting to ${target.host}:${target.port}` })
}
