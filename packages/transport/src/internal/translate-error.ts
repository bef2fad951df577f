/**
 * The one module that turns ssh2's connection and channel errors into this library's error tree.
 * ssh2 1.17 tags its errors with `level`: 'client-socket', 'handshake', 'protocol',
 * 'client-authentication', 'agent', 'client-timeout'; server DISCONNECTs carry a numeric `code`.
 */
import {
  ChannelOpenError,
  ConnectError,
  ConnectionLostError,
  HandshakeError,
  SSHError,
  TimeoutError,
} from '../errors.js'

/** What the transport was doing when the error arrived. @internal */
export type TransportStage = 'connect' | 'handshake' | 'auth' | 'open'

interface Ssh2Error extends Error {
  level?: string
  code?: string | number
  reason?: number
}

const CONNECT_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL', 'ECONNRESET', 'ETIMEDOUT'])

/** Translates a connection-level ssh2 (or socket) error seen during `stage`. @internal */
export function translateTransportError(
  raw: unknown,
  stage: TransportStage,
  target: { host: string; port: number },
): SSHError {
  if (raw instanceof SSHError) return raw
  const err = (raw instanceof Error ? raw : new Error(String(raw))) as Ssh2Error
  const where = `${target.host}:${target.port}`
  if (stage === 'connect' && typeof err.code === 'string' && CONNECT_CODES.has(err.code)) {
    return new ConnectError(`cannot connect to ${where}: ${err.code}`, target, { cause: err })
  }
  if (err.level === 'client-timeout') {
    return new TimeoutError(`keepalive to ${where} went unanswered`, { phase: 'keepalive', timeoutMs: 0 }, { cause: err })
  }
  if (stage === 'connect' || stage === 'handshake' || err.level === 'handshake') {
    return new HandshakeError(`SSH handshake with ${where} failed: ${err.message}`, { cause: err })
  }
  if (typeof err.code === 'number') {
    return new ConnectionLostError(`${where} disconnected: ${err.message}`, { cause: err })
  }
  return new ConnectionLostError(`connection to ${where} lost: ${err.message}`, { cause: err })
}

/** Translates the error ssh2 passes to a channel-open callback (RFC 4254 §5.1). @internal */
export function translateChannelOpenError(raw: unknown, what: string): SSHError {
  if (raw instanceof SSHError) return raw
  const err = (raw instanceof Error ? raw : new Error(String(raw))) as Ssh2Error
  if (typeof err.reason === 'number') {
    return new ChannelOpenError(`server refused to open ${what}: ${err.message}`, { reason: err.reason, description: err.message }, { cause: err })
  }
  if (/no response|not connected/i.test(err.message)) {
    return new ConnectionLostError(`connection lost while opening ${what}`, { cause: err })
  }
  return new ChannelOpenError(`cannot open ${what}: ${err.message}`, { reason: 0, description: err.message }, { cause: err })
}
