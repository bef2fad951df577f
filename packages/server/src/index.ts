/**
 * `@x/server`: a real SSH and SFTP server in a few lines, over `@x/transport`'s server role.
 * The public surface, listed by hand.
 * @packageDocumentation
 */
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
