/**
 * Fabric's `Connection`: ssh_config resolution, authentication and host-key policy, gateway
 * chains, and `run`/`sudo`/`put`/`get`/`forwardLocal`/`forwardRemote`/`openSocket`.
 *
 * @packageDocumentation
 * @module @x/connection
 */
// The public surface of @x/connection, listed by hand (no `export *`).
export { Connection } from './connection.js'
export type { SignalOption, SessionOptions } from './connection.js'
export type {
  ConnectionOptions,
  ConnectionAuthOptions,
  ConnectionHostKeyOptions,
  PassphraseCallback,
} from './connection-options.js'
export { Result, DEFAULT_MAX_BUFFER } from './run.js'
export { commandStopOf } from './command-stop.js'
export type { RunOptions, Watcher } from './run.js'
export type { SudoOptions } from './sudo.js'
export { resolveSshConfig, expandSshConfigPaths } from './ssh-config/index.js'
export type { ResolvedSshConfig, ResolveSshConfigOptions, SshConfigSource, ExpandSshConfigPathsOptions } from './ssh-config/index.js'
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

// Every error class of the library, so programs import errors from the package they use.
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
  MaxBufferError,
} from '@x/transport'
export type { SSHErrorCode, TimeoutPhase, HostKeyErrorReason, KeyErrorReason, CommandResult, CommandStop, StopMethod } from '@x/transport'
