/**
 * Option and handle types of `forwardLocal()` and `forwardRemote()`, all of this library's own:
 * no type of the protocol library underneath appears in a public signature.
 */
import type { SSHError } from '@x/transport'

/**
 * Receives the failure of one forwarded connection (its channel could not be opened, its local
 * target refused); the forward itself keeps running.
 */
export type ForwardConnectionErrorHandler = (error: Error) => void

/** Configures `forwardLocal()`: the arguments of Fabric's `Connection.forward_local`, `ssh -L`. */
export interface LocalForwardOptions {
  /** Local port to listen on; 0 (the default) lets the system pick one (see `LocalForward.port`). */
  readonly localPort?: number | undefined
  /** Local address to listen on; default '127.0.0.1'. */
  readonly localHost?: string | undefined
  /** Port the server connects to for each connection. */
  readonly remotePort: number
  /** Host the server connects to, resolved on the server; default 'localhost' (as Fabric). */
  readonly remoteHost?: string | undefined
  /** Called when one connection fails; see {@link ForwardConnectionErrorHandler}. */
  readonly onConnectionError?: ForwardConnectionErrorHandler | undefined
  /**
   * Aborts the setup (the call rejects with `signal.reason`); aborting later closes the forward,
   * as `server.listen({ signal })` does.
   */
  readonly signal?: AbortSignal | undefined
}

/** Configures `forwardRemote()`: the arguments of Fabric's `Connection.forward_remote`, `ssh -R`. */
export interface RemoteForwardOptions {
  /** Port the server listens on; 0 (the default) lets the server pick one (see `RemoteForward.port`). */
  readonly remotePort?: number | undefined
  /** Address the server listens on; default '127.0.0.1' (as Fabric). sshd's GatewayPorts may override it. */
  readonly remoteHost?: string | undefined
  /** Local port each forwarded connection is connected to. */
  readonly localPort: number
  /** Local host each forwarded connection is connected to; default '127.0.0.1'. */
  readonly localHost?: string | undefined
  /** Called when one connection fails; see {@link ForwardConnectionErrorHandler}. */
  readonly onConnectionError?: ForwardConnectionErrorHandler | undefined
  /**
   * Aborts the setup (the call rejects with `signal.reason`); aborting later closes the forward.
   */
  readonly signal?: AbortSignal | undefined
}

/** Controls a running local forward (`ssh -L`); close it with `close()` or `await using`. */
export interface LocalForward extends AsyncDisposable {
  /** The local port listened on (the one the system picked when `localPort` was 0). */
  readonly port: number
  /** The local address listened on. */
  readonly host: string
  /** The host the server connects to. */
  readonly remoteHost: string
  /** The port the server connects to. */
  readonly remotePort: number
  /** How many forwarded connections are open right now. */
  readonly connections: number
  /** Whether the forward is closed (by `close()`, its signal, or its transport closing). */
  readonly closed: boolean
  /**
   * Waits until the forward has closed and resolves with why: `undefined` when it was closed by
   * `close()`, its signal or an orderly close of its connection; the connection's error
   * (`ConnectionLostError`, `TimeoutError` with phase 'keepalive') when the connection died under
   * it. Never rejects; every call returns the same promise (asyncssh's `wait_closed()`, Go's
   * `Wait()`). `closed` is the synchronous view of the same fact.
   */
  waitClosed(): Promise<SSHError | undefined>
  /**
   * Stops listening and destroys every open connection and its channel; resolves once the port is
   * free. Idempotent.
   */
  close(): Promise<void>
}

/** Controls a running remote forward (`ssh -R`); close it with `close()` or `await using`. */
export interface RemoteForward extends AsyncDisposable {
  /** The port the server listens on (the one it picked when `remotePort` was 0). */
  readonly port: number
  /** The address the server listens on, as requested. */
  readonly host: string
  /** The local host connections are forwarded to. */
  readonly localHost: string
  /** The local port connections are forwarded to. */
  readonly localPort: number
  /** How many forwarded connections are open right now. */
  readonly connections: number
  /** Whether the forward is closed (by `close()`, its signal, or its transport closing). */
  readonly closed: boolean
  /**
   * Waits until the forward has closed and resolves with why: `undefined` when it was closed by
   * `close()`, its signal or an orderly close of its connection; the connection's error
   * (`ConnectionLostError`, `TimeoutError` with phase 'keepalive') when the connection died under
   * it. Never rejects; every call returns the same promise (asyncssh's `wait_closed()`, Go's
   * `Wait()`). `closed` is the synchronous view of the same fact.
   */
  waitClosed(): Promise<SSHError | undefined>
  /**
   * Asks the server to stop listening (`cancel-tcpip-forward`) and destroys every open connection;
   * idempotent. When the transport is already gone there is nothing to cancel.
   * @throws ForwardError when the server refuses to cancel (the connections are destroyed anyway).
   */
  close(): Promise<void>
}
