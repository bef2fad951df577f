/**
 * Routing as code (DESIGN.md §5): what a route function is told about a connection, and what it
 * answers. The YAML config is one such function ({@link configRoute}).
 */
import type { HostPort, RouteMode, RouteSelect } from '../config/route-settings.js'

/** One end of a TCP connection. */
export interface RouteEndpoint {
  readonly address: string
  readonly port: number
}

/** What routing knows of a client connection when its first channel or forwarding asks for a host. */
export interface RouteContext {
  /** The user name the client authenticated as. */
  readonly user: string
  /** The user's Unix groups on this machine; looked up on the first call. */
  readonly groups: () => Promise<readonly string[]>
  /** The client's address and port. */
  readonly client: RouteEndpoint
  /** The listen address the client reached, as given to `listen` (0.0.0.0:2222 stays that): the service. */
  readonly service: RouteEndpoint
  /** The authentication methods that passed, in order. */
  readonly methods: readonly string[]
  /** The SHA256 fingerprint of the key that logged in, when publickey did. */
  readonly keyFingerprint: string | undefined
  /** The command of the first session (exec), or the subsystem name; undefined for a shell or a forwarding. */
  readonly command: string | undefined
}

/**
 * Where a connection may go: the pool and how to choose in it. Only `dest` is required; the
 * rest default as sshproxy's do (service `default`, ordered, sticky, probe before every use,
 * no per-user limit, no banner, no environment, no sticky history).
 */
export interface RouteTarget {
  /** The pool, as `host[:port]` strings (port 22 by default) or parsed host ports. */
  readonly dest: readonly (string | HostPort)[]
  /** The name state is kept under (sticky history, connection counts). */
  readonly service?: string | undefined
  /** How a host of the pool is chosen. */
  readonly routeSelect?: RouteSelect | undefined
  /** Sticky (default) or balanced. */
  readonly mode?: RouteMode | undefined
  /** How long a probe result is trusted, in ms; 0 probes before every use. */
  readonly checkIntervalMs?: number | undefined
  /** Live connections one user may hold at once (all services); 0: no limit. */
  readonly maxConnectionsPerUser?: number | undefined
  /** Shown to the client when no host can take it. */
  readonly errorBanner?: string | undefined
  /** Variables sent to the host with each session (`{user}` replaced by the user's name). */
  readonly environment?: Readonly<Record<string, string>> | undefined
  /** How long a user stays sticky after their last connection ends, in ms; 0: not at all. */
  readonly stickyTtlMs?: number | undefined
}

/** Decides where a connection goes; null (or a throw) refuses it. */
export type RouteFunction = (ctx: RouteContext) => RouteTarget | null | Promise<RouteTarget | null>
