/**
 * The one interface routing state goes through (DESIGN.md §5): live connections, the per-user
 * limit, sticky history and host health. {@link MemoryStore} serves one instance; the etcd store
 * shares the same state between instances.
 */

/** A host's health as routing sees it: `disabled` is an operator's decision, the others the prober's. */
export type HostHealth = 'up' | 'down' | 'disabled'

/** What the store knows of one host of a pool. */
export interface HostRecord {
  /** The host's `host:port` key (`HostPort.text`). */
  readonly host: string
  /** Its health. */
  readonly state: HostHealth
  /** When it was last checked or changed, in ms since the epoch. */
  readonly checkedAt: number
}

/** One live client connection routed to a host. */
export interface LiveConnection {
  /** Unique across instances (the instance id and a counter). */
  readonly id: string
  /** The client's user name. */
  readonly user: string
  /** The service it reached (RouteSettings.service). */
  readonly service: string
  /** The host it was sent to (`host:port`). */
  readonly host: string
  /** The client's address and port, `addr:port`. */
  readonly client: string
  /** The router instance that holds it. */
  readonly instance: string
  /** When it was admitted, in ms since the epoch. */
  readonly startedAt: number
  /** Recent throughput towards the host (client to host), in bytes per second. */
  readonly bytesInRate: number
  /** Recent throughput towards the client, in bytes per second. */
  readonly bytesOutRate: number
}

/** What a connection asks to be admitted with. */
export type ConnectionClaim = Pick<LiveConnection, 'user' | 'service' | 'host' | 'client'>

/** A connection the store admitted: its record, kept live until {@link ConnectionTicket.release}. */
export interface ConnectionTicket {
  /** The record as stored. */
  readonly record: LiveConnection
  /** Publishes the connection's recent throughput (for `route_select: bandwidth`). */
  updateRates(bytesInRate: number, bytesOutRate: number): Promise<void>
  /**
   * Ends the connection's entry (and frees its place under the per-user limit); when
   * `stickyTtlMs` > 0 the host is remembered for the user and service that long. Idempotent.
   */
  release(stickyTtlMs: number): Promise<void>
}

/** Which live connections {@link RouterStore.connections} lists; every field given must match. */
export interface ConnectionFilter {
  readonly user?: string | undefined
  readonly service?: string | undefined
  readonly host?: string | undefined
}

/**
 * Routing state. Every method may reject with a {@link RouterStoreError} when the backing
 * service is unreachable; none waits unboundedly.
 */
export interface RouterStore {
  /** `'memory'` or `'etcd'`. */
  readonly kind: string
  /** This instance's id, as in {@link LiveConnection.instance}. */
  readonly instance: string
  /**
   * Admits a connection atomically: resolves with its ticket, or null when the user already
   * holds `limit` live connections (over all services, as sshproxy counts; 0 = no limit).
   * Concurrent admits — in this instance or any other sharing the store — never exceed the limit.
   */
  admit(claim: ConnectionClaim, limit: number): Promise<ConnectionTicket | null>
  /** The live connections (of every instance), oldest first. */
  connections(filter?: ConnectionFilter): Promise<LiveConnection[]>
  /**
   * The host a user of a service is sticky to: the host of their newest live connection, else
   * the one remembered when their last connection ended, while its TTL runs; undefined if none.
   */
  stickyHost(user: string, service: string): Promise<string | undefined>
  /** Forgets what {@link stickyHost} would remember (live connections are untouched). */
  forgetSticky(user: string, service: string): Promise<void>
  /** Every host record. */
  hosts(): Promise<HostRecord[]>
  /** One host's record. */
  host(host: string): Promise<HostRecord | undefined>
  /** Records a check's outcome; a `disabled` host stays disabled (its time is updated). */
  markHost(host: string, state: 'up' | 'down'): Promise<void>
  /** Disables a host (no new connections; live ones stay) or enables it (recorded as up, now). */
  setDisabled(host: string, disabled: boolean): Promise<void>
  /** Releases what the store holds for this instance (leases, timers); idempotent. */
  close(): Promise<void>
}

/** A store that cannot answer (etcd unreachable, its lease lost, closed). */
export class RouterStoreError extends Error {
  /** Stable code: `ERR_SSH_ROUTER_STORE`. */
  readonly code = 'ERR_SSH_ROUTER_STORE'
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'RouterStoreError'
  }
}
