import { AuthenticationError, BadAuthenticationTypeError } from './authentication-error.js'
import { ChannelOpenError } from './channel-open-error.js'
import { ConfigError } from './config-error.js'
import { ConnectError } from './connect-error.js'
import { ConnectionLostError } from './connection-lost-error.js'
import { ForwardError } from './forward-error.js'
import { HandshakeError } from './handshake-error.js'
import { HostKeyError } from './host-key-error.js'
import { KeyError } from './key-error.js'
import { SFTPError } from './sftp-error.js'
import { SSHError } from './ssh-error.js'
import { TimeoutError } from './timeout-error.js'

/**
 * Every error @x/transport raises, as a union discriminated by `code`: `switch (err.code)` narrows
 * to the class (`case 'ERR_SSH_TIMEOUT'` gives a {@link TimeoutError} with `phase`), and so does
 * `name`. `SSHError` stands for its own instances (`name: 'SSHError'`, `code: 'ERR_SSH'`) and
 * `AuthenticationError` for its own (`code: 'ERR_SSH_AUTH'`), so that each code names one member. {@link ConfigError} is listed
 * here because this package defines it. @x/connection's `AnySSHError` adds the errors of
 * @x/gateway and @x/connection.
 *
 * @example
 * ```ts
 * try { await t.startClient() } catch (err) {
 *   if (!isTransportError(err)) throw err
 *   switch (err.code) {
 *     case 'ERR_SSH_TIMEOUT': console.error(`no answer during ${err.phase}`); break
 *     case 'ERR_SSH_HOST_KEY': console.error(`host key ${err.reason}: ${err.fingerprint}`); break
 *     default: console.error(err.message)
 *   }
 * }
 * ```
 */
export type TransportError =
  | (SSHError & { readonly name: 'SSHError'; readonly code: 'ERR_SSH' })
  | ConnectError
  | TimeoutError
  | HandshakeError
  | HostKeyError
  | (AuthenticationError & { readonly name: 'AuthenticationError'; readonly code: 'ERR_SSH_AUTH' })
  | BadAuthenticationTypeError
  | KeyError
  | ChannelOpenError
  | ConnectionLostError
  | ForwardError
  | SFTPError
  | ConfigError

/** Every `code` @x/transport raises; @x/connection's `SSHErrorCode` adds those of the other packages. */
export type SSHErrorCode = TransportError['code']

/** The classes whose every instance is a member of {@link TransportError} under its own code. */
const leaves = [ConnectError, TimeoutError, HandshakeError, HostKeyError, BadAuthenticationTypeError, KeyError, ChannelOpenError, ConnectionLostError, ForwardError, SFTPError, ConfigError]

/**
 * Tells whether `value` is one of the errors @x/transport raises, made by any installed copy of
 * it; narrows `unknown` to {@link TransportError}. False for the errors of @x/gateway and
 * @x/connection (use @x/connection's `isSSHError` for all of them).
 */
export function isTransportError(value: unknown): value is TransportError {
  if (!(value instanceof SSHError)) return false
  if (value.code === 'ERR_SSH') return value.name === 'SSHError'
  if (value instanceof AuthenticationError && value.code === 'ERR_SSH_AUTH') return true
  return leaves.some((leaf) => value instanceof leaf)
}
