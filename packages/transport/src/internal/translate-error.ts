/**
 * The one module that turns ssh2's errors into this library's error tree, and the only one that
 * reads ssh2's error messages. ssh2 1.17 tags its connection errors with `level`: 'client-socket',
 * 'handshake', 'protocol', 'client-authentication', 'agent', 'client-timeout'; server
 * DISCONNECTs carry a numeric `code`; key-parser messages are lib/protocol/keyParser.js's.
 */
import {
  ChannelOpenError,
  ConnectError,
  ConnectionLostError,
  HandshakeError,
  SSHError,
  TimeoutError,
  type KeyErrorReason,
} from '../errors.js'

/** What the transport was doing when the error arrived. @internal */
export type TransportStage = 'connect' | 'handshake' | 'auth' | 'open'

interface Ssh2Error extends Error {
  level?: string
  code?: string | number
  reason?: number
}

/** ssh2 error levels that do not end the connection (authentication goes on). @internal */
export function isNonFatalLevel(err: unknown): boolean {
  const level = (err as Ssh2Error | undefined)?.level
  return level === 'client-authentication' || level === 'agent'
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
  if (lostWhileOpening(err)) {
    return new ConnectionLostError(`connection lost while opening ${what}`, { cause: err })
  }
  return new ChannelOpenError(`cannot open ${what}: ${err.message}`, { reason: 0, description: err.message }, { cause: err })
}

/** ssh2 1.17 fails a pending open with "No response from server" / "Not connected" when the connection goes. */
function lostWhileOpening(err: Error): boolean {
  return /no response|not connected/i.test(err.message)
}

/**
 * Translates the error ssh2 passes to a session request's or a channel open's callback: a
 * refused open carries an RFC 4254 reason, a refused request (pty, exec) does not. @internal
 */
export function translateRequestError(raw: unknown, what: string): SSHError {
  if (raw instanceof SSHError) return raw
  const err = (raw instanceof Error ? raw : new Error(String(raw))) as Ssh2Error
  if (typeof err.reason === 'number' || lostWhileOpening(err)) return translateChannelOpenError(err, what)
  return new SSHError(`server refused ${what}: ${err.message}`, { cause: err })
}

/** Maps one of ssh2's key-parser errors (for the key `text`) to a KeyError reason. @internal */
export function keyParseReason(message: string, text: string): KeyErrorReason {
  if (/no passphrase given|bad passphrase/i.test(message)) return 'passphrase'
  // ssh2 says "Unsupported key format" for anything it does not recognise, text that is no key at all included.
  if (message === 'Unsupported key format' && !/-----BEGIN |PuTTY-User-Key-File-|^---- BEGIN SSH2/m.test(text)) {
    return 'invalid'
  }
  if (/unsupported|not supported/i.test(message)) return 'unsupported'
  return 'invalid'
}
