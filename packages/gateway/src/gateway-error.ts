import { GatewayConflictError } from './gateway-conflict-error.js'
import { ProxyCommandError } from './proxy-command-error.js'

/**
 * The errors @x/gateway defines, as a union discriminated by `code`. The package also raises
 * `ConfigError` (unsafe names, bad tokens) and, from `openDirectTcpip`, channel errors: those
 * are @x/transport's `TransportError`s.
 */
export type GatewayError = GatewayConflictError | ProxyCommandError

/**
 * Tells whether `value` is one of the errors @x/gateway defines, made by any installed copy of
 * it; narrows `unknown` to {@link GatewayError}.
 */
export function isGatewayError(value: unknown): value is GatewayError {
  return value instanceof GatewayConflictError || value instanceof ProxyCommandError
}
