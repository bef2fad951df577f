/** Why a client connection could not be given a host. */
import type { RouteRefusal } from './router-log.js'

/** A client the router cannot route: no route, no host up, the per-user limit, or the store. */
export class RouteError extends Error {
  /** Stable code: `ERR_SSH_ROUTE`. */
  readonly code = 'ERR_SSH_ROUTE'
  /** Which refusal it is. */
  readonly reason: RouteRefusal
  /** What the client is shown (the error banner, or a line of our own). */
  readonly banner: string

  constructor(reason: RouteRefusal, banner: string, options?: ErrorOptions) {
    super(`cannot route the connection (${reason})`, options)
    this.name = 'RouteError'
    this.reason = reason
    this.banner = banner
  }
}
