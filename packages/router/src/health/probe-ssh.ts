/**
 * One health probe of one host: a TCP connection, then the server's SSH identification line,
 * each under its own timer; the socket is always destroyed before the probe settles.
 */
import { connect } from 'node:net'
import { performance } from 'node:perf_hooks'
import { ConnectError, HandshakeError, TimeoutError } from '@x/transport'
import type { HostPort } from '../config/route-settings.js'
import { scanIdentification } from './identification.js'

/** Why a probe found a host down. */
export type ProbeFailure = ConnectError | TimeoutError | HandshakeError

/** What one probe found. */
export type ProbeOutcome =
  | {
      /** The host's key (`HostPort.text`). */
      readonly host: string
      readonly up: true
      /** The server's identification line, without CR LF (`SSH-2.0-OpenSSH_9.2p1 …`). */
      readonly banner: string
      /** How long the probe took, in ms. */
      readonly elapsedMs: number
    }
  | {
      /** The host's key (`HostPort.text`). */
      readonly host: string
      readonly up: false
      /**
       * `ConnectError` (refused, unreachable, no such name), `TimeoutError` with phase
       * `connect` or `handshake` (no identification line in time), or `HandshakeError` (the
       * peer closed first, or sent something that is not an SSH-2 identification).
       */
      readonly error: ProbeFailure
      /** How long the probe took, in ms. */
      readonly elapsedMs: number
    }

/** Options of {@link probeSsh}. */
export interface ProbeSshOptions {
  /** Bound on the TCP connect (name lookup included), in ms; default 1,000 (sshproxy's dial timeout). */
  readonly connectTimeoutMs?: number | undefined
  /** Bound on the identification line once connected, in ms; default 2,000. */
  readonly bannerTimeoutMs?: number | undefined
  /** Abandons the probe: it rejects with the signal's reason and its socket is destroyed. */
  readonly signal?: AbortSignal | undefined
}

/** sshproxy's `net.DialTimeout(…, 1s)`: pools sit on the gateway's LAN. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 1000
/** sshd writes its identification as soon as it accepts; one slower than this is too busy to prefer. */
export const DEFAULT_BANNER_TIMEOUT_MS = 2000

/**
 * Probes `target`: connects over TCP and reads until the server's SSH-2 identification line
 * (see `scanIdentification`), then closes without sending anything. Resolves with the outcome —
 * a failure is an outcome, not a rejection — within `connectTimeoutMs + bannerTimeoutMs` plus
 * a few ms. Sending nothing means the server logs a connection closed before identification;
 * no authentication is attempted.
 *
 * @throws the signal's reason when `options.signal` aborts (before or during the probe).
 */
export function probeSsh(target: HostPort, options: ProbeSshOptions = {}): Promise<ProbeOutcome> {
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS
  const bannerTimeoutMs = options.bannerTimeoutMs ?? DEFAULT_BANNER_TIMEOUT_MS
  const signal = options.signal
  if (signal?.aborted) return Promise.reject(signal.reason)
  const started = performance.now()
  const where = { host: target.host, port: target.port }
  return new Promise<ProbeOutcome>((resolve, reject) => {
    const socket = connect(where)
    let received = Buffer.alloc(0)
    let connected = false
    let settled = false
    let timer = setTimeout(() => fail(new TimeoutError(`connecting to ${target.text} took over ${connectTimeoutMs} ms`, { phase: 'connect', timeoutMs: connectTimeoutMs })), connectTimeoutMs)
    const onAbort = (): void => finish(() => reject(signal!.reason))
    const finish = (report: () => void): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      socket.destroy()
      report()
    }
    const elapsedMs = (): number => Math.round(performance.now() - started)
    const fail = (error: ProbeFailure): void => finish(() => resolve({ host: target.text, up: false, error, elapsedMs: elapsedMs() }))
    signal?.addEventListener('abort', onAbort, { once: true })
    // Stays attached after settling: a late error of the destroyed socket is not unhandled.
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (!connected) fail(new ConnectError(`cannot connect to ${target.text}: ${err.code ?? err.message}`, where, { cause: err }))
      else fail(new HandshakeError(`${target.text} failed before its identification line: ${err.code ?? err.message}`, { cause: err }))
    })
    socket.once('connect', () => {
      connected = true
      clearTimeout(timer)
      timer = setTimeout(() => fail(new TimeoutError(`${target.text} sent no SSH identification line within ${bannerTimeoutMs} ms`, { phase: 'handshake', timeoutMs: bannerTimeoutMs })), bannerTimeoutMs)
    })
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk])
      const scan = scanIdentification(received)
      if (scan.kind === 'found') finish(() => resolve({ host: target.text, up: true, banner: scan.line, elapsedMs: elapsedMs() }))
      else if (scan.kind === 'bad') fail(new HandshakeError(`${target.text} is not an SSH-2 server: ${scan.reason}`))
    })
    socket.once('close', () => fail(new HandshakeError(`${target.text} closed the connection before its identification line`)))
  })
}
