import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { SshStreamTracker, MSG_KEXINIT, plaintextIgnorePacket, type ChunkReport } from './ssh-stream-tracker.js'
import { startTcpServer } from './tcp-servers.js'

/** Which way bytes flow through the relay. */
export type RelayDirection = 'client-to-server' | 'server-to-client'

/** What the relay saw of one direction of one connection. */
export interface RelayStreamReport {
  readonly direction: RelayDirection
  readonly phase: SshStreamTracker['phase']
  /** Message numbers of the plaintext packets. */
  readonly messages: readonly number[]
  /** Bytes after NEWKEYS. */
  readonly encryptedBytes: number
}

/** What the relay does to the SSH streams it carries. */
export type MitmFault =
  /** Nothing: a transparent relay (the control case). */
  | { readonly kind: 'none' }
  /**
   * XORs one byte of the encrypted stream in `direction` with `mask` (default 0x01: one bit),
   * `offset` bytes after SSH_MSG_NEWKEYS (default 20: inside the first encrypted packet, past
   * its length field and, for 16-byte block ciphers, past the first block).
   */
  | { readonly kind: 'flip'; readonly direction: RelayDirection; readonly offset?: number; readonly mask?: number }
  /**
   * Inserts an unencrypted SSH_MSG_IGNORE toward the client, right after the server's
   * identification line ('before-kexinit', Terrapin's injection against strict kex) or right
   * after the server's KEXINIT ('after-kexinit').
   */
  | { readonly kind: 'inject-ignore'; readonly position: 'before-kexinit' | 'after-kexinit' }

/** Controls a running man-in-the-middle relay on 127.0.0.1. */
export interface MitmRelayHandle {
  /** Always '127.0.0.1'. */
  readonly host: string
  /** The port clients connect to instead of the target's. */
  readonly port: number
  /** How many client connections are open right now. */
  readonly connections: number
  /** How many bytes were flipped so far (one per connection at most). */
  readonly flips: number
  /** How many IGNORE packets were injected so far (one per connection at most). */
  readonly injections: number
  /** The local ports of the relay's connections to the target, in order: what the server logs as the client's port. */
  readonly upstreamPorts: readonly number[]
  /** What the relay saw of each direction of each connection so far, in order (for diagnostics). */
  streams(): RelayStreamReport[]
  /** Destroys every connection (both sides) and closes the listener (bounded); idempotent. */
  close(): Promise<void>
  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>
}

/**
 * Starts an in-process TCP relay in front of `target` (a real sshd or Dropbear) that follows
 * the SSH framing of both directions and applies `fault` once per connection: a flipped byte
 * after the key exchange, or an injected plaintext IGNORE packet.
 *
 * @example
 * ```ts
 * await using relay = await startMitmRelay(sshd, { kind: 'flip', direction: 'server-to-client' })
 * const t = new Transport(`127.0.0.1:${relay.port}`, …) // startClient() must fail with a typed error
 * ```
 */
export async function startMitmRelay(
  target: { readonly host: string; readonly port: number },
  fault: MitmFault,
): Promise<MitmRelayHandle> {
  const counts = { flips: 0, injections: 0 }
  const upstreams = new Set<Socket>()
  const upstreamPorts: number[] = []
  const trackers: Array<[RelayDirection, SshStreamTracker]> = []
  const tcp = await startTcpServer((client) => {
    client.pause()
    const server = connect({ host: target.host, port: target.port })
    upstreams.add(server)
    server.setNoDelay(true)
    client.setNoDelay(true)
    server.on('error', () => client.destroy())
    server.once('connect', () => {
      if (server.localPort !== undefined) upstreamPorts.push(server.localPort)
      client.resume()
    })
    server.on('close', () => {
      upstreams.delete(server)
      client.destroy()
    })
    client.on('close', () => server.destroy())
    trackers.push(['client-to-server', pump(client, server, faultFor(fault, 'client-to-server', counts))])
    trackers.push(['server-to-client', pump(server, client, faultFor(fault, 'server-to-client', counts))])
  })
  let closing: Promise<void> | undefined
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      for (const socket of upstreams) socket.destroy()
      await tcp.close()
    })())
  return {
    host: tcp.host,
    port: tcp.port,
    get connections() {
      return tcp.connections
    },
    get flips() {
      return counts.flips
    },
    get injections() {
      return counts.injections
    },
    upstreamPorts,
    streams: () =>
      trackers.map(([direction, t]) => ({ direction, phase: t.phase, messages: [...t.messages], encryptedBytes: t.encryptedBytes })),
    close,
    [Symbol.asyncDispose]: close,
  }
}

/** Rewrites each chunk of one direction; returns the bytes to forward. */
type ChunkRewriter = (chunk: Buffer, report: ChunkReport) => Buffer

/** Copies `from` to `to` through a tracker and `rewrite`, with backpressure; end follows end. Returns the tracker. */
function pump(from: Socket, to: Socket, rewrite: ChunkRewriter): SshStreamTracker {
  const tracker = new SshStreamTracker()
  from.on('data', (chunk: Buffer) => {
    const out = rewrite(chunk, tracker.feed(chunk))
    if (!to.destroyed && !to.write(out)) {
      from.pause()
      to.once('drain', () => from.resume())
    }
  })
  from.on('end', () => to.end())
  return tracker
}

/** The rewriter of one direction for `fault`, applying it at most once. */
function faultFor(fault: MitmFault, direction: RelayDirection, counts: { flips: number; injections: number }): ChunkRewriter {
  const identity: ChunkRewriter = (chunk) => chunk
  if (fault.kind === 'flip') {
    if (fault.direction !== direction) return identity
    const offset = fault.offset ?? 20
    const mask = fault.mask ?? 0x01
    let done = false
    return (chunk, report) => {
      if (done || report.encryptedStart === undefined) return chunk
      const index = report.encryptedStart + (offset - report.encryptedBefore)
      if (index < report.encryptedStart || index >= chunk.length) return chunk
      const out = Buffer.from(chunk)
      out[index] = out[index]! ^ mask
      done = true
      counts.flips++
      return out
    }
  }
  if (fault.kind === 'inject-ignore' && direction === 'server-to-client') {
    let done = false
    return (chunk, report) => {
      if (done) return chunk
      const mark = report.marks.find((m) =>
        fault.position === 'before-kexinit' ? m.kind === 'ident' : m.kind === 'packet' && m.messageType === MSG_KEXINIT,
      )
      if (!mark) return chunk
      done = true
      counts.injections++
      return Buffer.concat([chunk.subarray(0, mark.offset), plaintextIgnorePacket(), chunk.subarray(mark.offset)])
    }
  }
  return identity
}
