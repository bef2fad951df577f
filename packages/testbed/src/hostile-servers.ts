import { randomBytes } from 'node:crypto'
import type { Socket } from 'node:net'
import { startTcpServer, type TcpServerHandle } from './tcp-servers.js'

/**
 * How a hostile server greets a client instead of a proper identification line (RFC 4253 §4.2):
 * - 'garbage': 512 random bytes with no CR, LF or `S` (so no line ever ends and no `SSH-`
 *   forms: only the client's own timer can end it), then silence;
 * - 'many-lines': 2,000 short lines that are not `SSH-` lines, then silence;
 * - 'long-line': a 10 KB line without a newline, then silence;
 * - 'ssh-1.5': `SSH-1.5-OpenSSH_1.2.3`, a protocol version SSH-2 clients must refuse;
 * - 'drip': a valid-looking `SSH-2.0-…` line, one byte per `dripIntervalMs`.
 */
export type HostileBanner = 'garbage' | 'many-lines' | 'long-line' | 'ssh-1.5' | 'drip'

/** Every {@link HostileBanner}, for tests that try them all. */
export const HOSTILE_BANNERS: readonly HostileBanner[] = Object.freeze(['garbage', 'many-lines', 'long-line', 'ssh-1.5', 'drip'])

/** Configures {@link startHostileBannerServer}. */
export interface HostileBannerOptions {
  /** Pause between two bytes of 'drip' (default 1,000 ms: one byte a second). */
  readonly dripIntervalMs?: number
}

/** The line the 'drip' server sends, byte by byte. */
export const DRIP_BANNER = 'SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n'

/** The bytes a hostile server writes at once (all but 'drip'). */
export function hostileBannerBytes(kind: Exclude<HostileBanner, 'drip'>): Buffer {
  switch (kind) {
    case 'garbage':
      return Buffer.from(randomBytes(512).map((b) => (b === 0x0a || b === 0x0d || b === 0x53 ? 0x2e : b)))
    case 'many-lines':
      return Buffer.from(Array.from({ length: 2000 }, (_, i) => `line ${i}\r\n`).join(''))
    case 'long-line':
      return Buffer.alloc(10 * 1024, 'x')
    case 'ssh-1.5':
      return Buffer.from('SSH-1.5-OpenSSH_1.2.3\r\n')
  }
}

/**
 * Starts a TCP server on 127.0.0.1 that answers every connection with the hostile greeting
 * `kind` and then stays open, reading and never writing anything else (as a broken or
 * malicious peer would). The drip timers stop when a connection or the server closes.
 */
export async function startHostileBannerServer(kind: HostileBanner, options: HostileBannerOptions = {}): Promise<TcpServerHandle> {
  const intervalMs = options.dripIntervalMs ?? 1000
  if (!Number.isFinite(intervalMs) || intervalMs <= 0) throw new RangeError('dripIntervalMs must be > 0')
  return startTcpServer((socket) => {
    socket.resume()
    if (kind === 'drip') drip(socket, Buffer.from(DRIP_BANNER), intervalMs)
    else socket.write(hostileBannerBytes(kind))
  })
}

/** Writes `bytes` to `socket` one at a time, `intervalMs` apart, until done or closed. */
function drip(socket: Socket, bytes: Buffer, intervalMs: number): void {
  let next = 0
  const timer = setInterval(() => {
    if (socket.destroyed || next >= bytes.length) {
      clearInterval(timer)
      return
    }
    socket.write(bytes.subarray(next, next + 1))
    next++
  }, intervalMs)
  socket.once('close', () => clearInterval(timer))
}
