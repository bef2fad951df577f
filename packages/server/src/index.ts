/**
 * `@x/server`: a real SSH and SFTP server in a few lines, over `@x/transport`'s server role.
 * The public surface, listed by hand.
 *
 * @packageDocumentation
 * @module @x/server
 */
export { SftpServer, fsSftp } from './sftp/sftp-server.js'
export type { FsSftpOptions, SftpSubsystemHandler } from './sftp/sftp-server.js'
export type { SftpSessionEnd, SftpSessionEndReason } from './sftp/session.js'
export { AuthorizedKeys } from './authorized-keys/authorized-keys.js'
export type {
  AuthorizedKeysContext,
  AuthorizedKeysDecision,
  KeyRefusal,
  ParseAuthorizedKeysOptions,
} from './authorized-keys/authorized-keys.js'
export type { AuthorizedKeyEntry, RejectedLine, RejectedLineKind } from './authorized-keys/entry.js'
export type { LoadAuthorizedKeysOptions } from './authorized-keys/load.js'
export type { KeyOptions } from './authorized-keys/options.js'
export type { Permit } from './authorized-keys/permits.js'
export { KeyRestrictions } from './authorized-keys/restrictions.js'
export type { KeyRestrictionsPolicy, PermitUserEnvironment } from './authorized-keys/restrictions.js'
export {
  runSession,
  sessionEnvironment,
  lookupUser,
  UnknownUserError,
  sttyArguments,
  signalName,
  CLIENT_SIGNALS,
  DEFAULT_USER_PATH,
  DEFAULT_SUPERUSER_PATH,
} from './process/index.js'
export type {
  RunSessionOptions,
  SessionResult,
  SessionChannelLike,
  SessionChannelEvents,
  SessionPty,
  SessionEndpoints,
  SessionEnvironmentInput,
  SessionUser,
} from './process/index.js'
export * from './listen/index.js'
export { hashPassword, verifyPassword } from './passwords/scrypt-hash.js'
export type { HashPasswordOptions } from './passwords/scrypt-hash.js'
export { PasswordFile } from './passwords/password-file.js'
export { formatLogLine, lineLogger } from './cli/log-format.js'
