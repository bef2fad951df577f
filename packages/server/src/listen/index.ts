// The listen/ folder's public surface, re-exported whole by the package's index.ts.
export { listen, SshServer } from './ssh-server.js'
export type { CloseOptions } from './ssh-server.js'
export { ServerConnection } from './server-connection.js'
export { ListenError } from './listen-error.js'
export { openAgentSocket } from './agent-socket.js'
export type { AgentSocket } from './agent-socket.js'
export type {
  ListenOptions,
  ListenTransportOptions,
  AuthPolicy,
  ForwardingPolicy,
  StreamLocalPolicy,
  ForwardDecision,
  RemoteListener,
  SessionHandler,
  SessionRequest,
  LoginContext,
  Endpoint,
  RunAs,
  Awaitable,
} from './listen-options.js'
export type { ServerLogEvent } from './server-log.js'
