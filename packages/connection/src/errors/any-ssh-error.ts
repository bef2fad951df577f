import { isTransportError, type TransportError } from '@x/transport'
import { isGatewayError, type GatewayError } from '@x/gateway'
import { isCommandError, type CommandError } from './command-error.js'

/**
 * Every error the library raises on purpose, from all its packages, as a union discriminated by
 * `code`: `switch (err.code)` narrows to the class, so `case 'ERR_SSH_TIMEOUT'` reads `err.phase`
 * and `case 'ERR_SSH_UNEXPECTED_EXIT'` reads `err.result`.
 *
 * @example
 * ```ts
 * try { await c.run('make test') } catch (err) {
 *   if (!isSSHError(err)) throw err
 *   switch (err.code) {
 *     case 'ERR_SSH_TIMEOUT': console.error(`no answer during ${err.phase}`); break
 *     case 'ERR_SSH_UNEXPECTED_EXIT': console.error(err.result.stderr); break
 *     default: console.error(err.message)
 *   }
 * }
 * ```
 */
export type AnySSHError = TransportError | GatewayError | CommandError

/** Every `code` of the library (a wider union than @x/transport's `SSHErrorCode`). */
export type SSHErrorCode = AnySSHError['code']

/**
 * Tells whether `value` is one of the library's errors, made by any installed copy of any of
 * its packages; narrows `unknown` to {@link AnySSHError}.
 */
export function isSSHError(value: unknown): value is AnySSHError {
  return isTransportError(value) || isGatewayError(value) || isCommandError(value)
}
