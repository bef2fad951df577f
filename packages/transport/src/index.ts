/**
 * One SSH session over one byte stream: paramiko's `Transport` (client side), channels as
 * streams and sockets, keys, OpenSSH known_hosts and SFTP. The only package that talks to the
 * protocol library underneath.
 *
 * @packageDocumentation
 * @module @x/transport
 */
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
  isTransportError,
} from './errors.js'
export type {
  SSHErrorOptions,
  SSHErrorCode,
  TimeoutPhase,
  HostKeyErrorReason,
  KeyErrorReason,
  SkippedKey,
  SkippedKeyReason,
  TransportError,
  CommandStop,
  StopMethod,
} from './errors.js'
export { Transport } from './transport.js'
export { supportedAlgorithms } from './algorithms.js'
export type { OpenChannelOptions, TransportRole, AcceptedChannel } from './transport.js'
export type { ConnectOptions } from './connect-shortcut.js'
export type { NegotiatedAlgorithms, TransportEvents, SignalOption, GlobalRequestReply } from './transport-types.js'
export type {
  TransportOptions,
  TransportTarget,
  TransportTimeouts,
  KeepaliveOptions,
  AlgorithmOptions,
} from './transport-options.js'
export { Channel } from './channel.js'
export { SessionChannel } from './session-channel.js'
export type { PtyOptions, ExitStatus } from './session-channel.js'
export type { InteractiveHandler, InteractivePrompt } from './auth.js'
export type { ForwardHandler, ForwardedConnectionInfo } from './forwarding.js'
export { SftpClient } from './sftp/sftp-client.js'
export { SftpStats } from './sftp/stats.js'
export { SftpStatus } from './sftp/types.js'
export type { SftpStatsFields } from './sftp/stats.js'
export type {
  SftpOpenFlags,
  SftpStatusCode,
  SftpDirEntry,
  SftpCallOptions,
  SftpMkdirOptions,
  SftpRenameOptions,
  SftpWriteFileOptions,
  SftpReadStreamOptions,
  SftpWriteStreamOptions,
  SftpTransferOptions,
  SftpPutOptions,
  SftpClientOptions,
} from './sftp/types.js'
export { PublicKey } from './keys/public-key.js'
export { PrivateKey, loadPrivateKey } from './keys/private-key.js'
export type { LoadPrivateKeyOptions } from './keys/private-key.js'
export { HostKeys } from './host-keys/host-keys.js'
export type { HostKeyLookup, HostKeyStatus, HostKeysWriteOptions, MalformedLine } from './host-keys/host-keys.js'
export { knownHosts, fixedHostKey, insecureAcceptAnyHostKey } from './host-keys/verifiers.js'
export type {
  HostKeyVerifier,
  HostKeyTarget,
  FixedHostKeyVerifier,
  KnownHostsOptions,
  KnownHostsVerifier,
} from './host-keys/verifiers.js'
export { ChannelSocket } from './channel-socket.js'
export type { ChannelSocketInfo, SocketReadyState } from './channel-socket.js'
export { asciiLower, matchPattern, matchPatternList, matchHostname } from './match-pattern.js'
export { splitHostPort, cleanHostname } from './host-port.js'
export { onAbort, raceSignal } from './internal/abort.js'
export type { ServerRoleOptions } from './server/server-options.js'
export { ServerChannel } from './server/server-channel.js'
export type { ServerPty, ServerX11 } from './server/server-channel.js'
export type { SubsystemHandler } from './server/server-dispatch.js'
export type {
  ServerInterface,
  ServerAuthContext,
  ServerAuthAnswer,
  ServerAuthMethod,
  ServerInteractiveQuery,
  ServerOpenAnswer,
  Awaitable,
} from './server/server-interface.js'
