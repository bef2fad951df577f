// The public surface of @x/transport, listed by hand (no `export *`).
export {
  SSHError,
  ConnectError,
  TimeoutError,
  HandshakeError,
  HostKeyError,
  AuthenticationError,
  BadAuthenticationTypeError,
  KeyError,
  ChannelOpenError,
  ConnectionLostError,
  ForwardError,
  SFTPError,
  ConfigError,
  GatewayConflictError,
  ProxyCommandError,
  UnexpectedExitError,
} from './errors.js'
export type {
  SSHErrorOptions,
  SSHErrorCode,
  TimeoutPhase,
  HostKeyErrorReason,
  KeyErrorReason,
  CommandResult,
} from './errors.js'
