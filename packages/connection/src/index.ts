// The public surface of @x/connection, listed by hand (no `export *`).
// Connection itself lands with issue #3; the error classes are re-exported now so that
// users import every error from the package they use (DESIGN.md §1).
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
} from '@x/transport'
