/**
 * The error tree of @x/transport, one file per class under `errors/`: `SSHError`, the base of
 * every package's errors, and the protocol errors. Each class has a literal `name` (it survives
 * minifiers), a stable literal `code` and a brand, so `instanceof` holds across installed copies
 * and `switch (err.code)` on a {@link TransportError} narrows to the class.
 * Messages name host, user and method; they never carry a secret.
 */
export { SSHError, type SSHErrorOptions } from './errors/ssh-error.js'
export { ConnectError } from './errors/connect-error.js'
export { TimeoutError, type TimeoutPhase, type CommandStop, type StopMethod } from './errors/timeout-error.js'
export { HandshakeError } from './errors/handshake-error.js'
export { HostKeyError, type HostKeyErrorReason } from './errors/host-key-error.js'
export { AuthenticationError, BadAuthenticationTypeError, type SkippedKey, type SkippedKeyReason } from './errors/authentication-error.js'
export { KeyError, type KeyErrorReason } from './errors/key-error.js'
export { ChannelOpenError } from './errors/channel-open-error.js'
export { ConnectionLostError } from './errors/connection-lost-error.js'
export { ForwardError } from './errors/forward-error.js'
export { SFTPError } from './errors/sftp-error.js'
export { ConfigError } from './errors/config-error.js'
export { isTransportError, type TransportError, type SSHErrorCode } from './errors/transport-error.js'
