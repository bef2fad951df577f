/**
 * Argument checks of the forwards: programmer mistakes are TypeError/RangeError, not SSHError.
 * @internal
 */
import { ConnectionLostError, SSHError, type Transport } from '@x/transport'

/** Throws a RangeError unless `value` is an integer port (1–65535, or 0 when `zeroOk`). */
export function checkPort(name: string, value: unknown, zeroOk: boolean): number {
  if (!Number.isInteger(value) || (value as number) < (zeroOk ? 0 : 1) || (value as number) > 65535) {
    throw new RangeError(`${name} must be an integer ${zeroOk ? '0' : '1'}–65535, got ${String(value)}`)
  }
  return value as number
}

/** Throws a TypeError unless `value` is undefined or a non-empty string; returns it or `fallback`. */
export function checkHost(name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || value === '') throw new TypeError(`${name} must be a non-empty string`)
  return value
}

/** Throws a TypeError unless the common options are well-formed. */
export function checkCommon(o: { readonly onConnectionError?: unknown; readonly signal?: unknown }): void {
  if (o.onConnectionError !== undefined && typeof o.onConnectionError !== 'function') throw new TypeError('onConnectionError must be a function')
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new TypeError('signal must be an AbortSignal')
}

/**
 * Throws unless `transport` can carry forwards.
 * @throws ConnectionLostError when it is closed; SSHError when it is not authenticated yet.
 */
export function checkTransport(transport: Transport): void {
  if (!transport.isActive) throw new ConnectionLostError('the transport is closed: no forward can start on it')
  if (!transport.isAuthenticated) throw new SSHError('authenticate the transport before forwarding ports')
}
