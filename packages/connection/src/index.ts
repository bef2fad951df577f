/**
 * Fabric's `Connection`: ssh_config resolution, authentication and host-key policy, gateway
 * chains, and `run`/`sudo`/`put`/`get`/`forwardLocal`/`forwardRemote`/`openSocket`.
 *
 * @packageDocumentation
 * @module @x/connection
 */
// The public surface of @x/connection, listed by hand (no `export *`).
export { Connection } from './connection.js'
export type { SignalOption, SessionOptions } from './session-options.js'
export type {
  ConnectionOptions,
  ConnectionAuthOptions,
  ConnectionHostKeyOptions,
  PassphraseCallback,
} from './connection-options.js'
export { Result, DEFAULT_MAX_BUFFER } from './run.js'
export { commandStopOf } from './command-stop.js'
export type { RunOptions, RunEncoding, RunOutput, Watcher } from './run.js'
export type { SudoOptions } from './sudo.js'
export { resolveSshConfig, expandSshConfigPaths } from '@x/ssh-config'
export type { ResolvedSshConfig, ResolveSshConfigOptions, SshConfigSource, ExpandSshConfigPathsOptions } from '@x/ssh-config'
export type { SshConfigWarning, SshConfigWarningReason } from '@x/ssh-config'
export { put } from './transfer/put.js'
export { get } from './transfer/get.js'
export type { PutOptions, GetOptions, PutSource, GetDestination, TransferResult, TransferProgress } from './transfer/types.js'
export { forwardLocal } from './forwarding/forward-local.js'
export { forwardRemote } from './forwarding/forward-remote.js'
export type {
  LocalForward,
  RemoteForward,
  LocalForwardOptions,
  RemoteForwardOptions,
  ForwardConnectionErrorHandler,
} from './forwarding/types.js'

// Every error class of the library, so programs import errors from the package they use:
// @x/transport's, @x/gateway's and this package's own, with the union of them all and its guard.
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
} from '@x/transport'
export type {
  SSHErrorOptions,
  TransportError,
  TimeoutPhase,
  HostKeyErrorReason,
  KeyErrorReason,
  SkippedKey,
  SkippedKeyReason,
  CommandStop,
  StopMethod,
} from '@x/transport'
export { GatewayConflictError, ProxyCommandError, isGatewayError } from '@x/gateway'
export type { GatewayError } from '@x/gateway'
export { UnexpectedExitError, type CommandResult } from './errors/unexpected-exit-error.js'
export { MaxBufferError } from './errors/max-buffer-error.js'
export { isCommandError, type CommandError } from './errors/command-error.js'
export { isSSHError, type AnySSHError, type SSHErrorCode } from './errors/any-ssh-error.js'

// Host keys and private keys, for the `hostKeys` and `auth` options: one install is enough.
export { knownHosts, fixedHostKey, insecureAcceptAnyHostKey, HostKeys, PublicKey, PrivateKey, loadPrivateKey } from '@x/transport'
export type {
  HostKeyVerifier,
  HostKeyTarget,
  FixedHostKeyVerifier,
  KnownHostsOptions,
  KnownHostsVerifier,
  HostKeyLookup,
  HostKeyStatus,
  HostKeysWriteOptions,
  MalformedLine,
  LoadPrivateKeyOptions,
  InteractiveHandler,
  InteractivePrompt,
} from '@x/transport'

// What Connection's methods hand out: `transport`, `exec()`/`shell()` channels, `openSocket()`
// sockets, `sftp()` clients, and every type their signatures name.
export { Transport, Channel, SessionChannel, ChannelSocket, SftpClient, SftpStats, SftpStatus } from '@x/transport'
export type {
  TransportOptions,
  TransportTarget,
  TransportTimeouts,
  TransportEvents,
  KeepaliveOptions,
  AlgorithmOptions,
  NegotiatedAlgorithms,
  GlobalRequestReply,
  ConnectOptions,
  OpenChannelOptions,
  PtyOptions,
  ExitStatus,
  ForwardHandler,
  ForwardedConnectionInfo,
  ChannelSocketInfo,
  SocketReadyState,
  SftpStatsFields,
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
} from '@x/transport'
// Transport's server role, named by its signatures (the server itself is @x/server's job).
export type {
  TransportRole,
  AcceptedChannel,
  ServerRoleOptions,
  ServerChannel,
  ServerPty,
  ServerX11,
  SubsystemHandler,
  ServerInterface,
  ServerAuthAnswer,
  ServerAuthContext,
  ServerAuthMethod,
  ServerInteractiveQuery,
  ServerOpenAnswer,
  Awaitable,
} from '@x/transport'
