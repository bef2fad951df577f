/** What the router reports as it runs: its own events beside the SSH server's, never a secret. */
import type { ServerLogEvent } from '@x/server'

/** The router's own events. */
export type RouterEvent =
  | { readonly event: 'route'; readonly id: number; readonly user: string; readonly service: string; readonly host: string; readonly sticky: boolean; readonly attempts: number }
  | { readonly event: 'upstream-failed'; readonly id: number; readonly user: string; readonly host: string; readonly code: string }
  | { readonly event: 'route-refused'; readonly id: number; readonly user: string; readonly reason: RouteRefusal }
  | { readonly event: 'upstream-closed'; readonly id: number; readonly host: string; readonly code?: string | undefined }
  | { readonly event: 'store'; readonly message: string }
  | { readonly event: 'config-reload'; readonly ok: boolean; readonly message?: string | undefined }

/** Why a client could not be routed. */
export type RouteRefusal = 'no-route' | 'no-host' | 'limit' | 'store' | 'closing'

/** What a router's `log` callback receives: its events and those of its SSH servers. */
export type RouterLogEvent = RouterEvent | ServerLogEvent

/** Calls `log` without letting it throw into the router. @internal */
export function emitRouterLog(log: ((event: RouterLogEvent) => void) | undefined, event: RouterLogEvent): void {
  if (!log) return
  try {
    log(event)
  } catch {
    // a failing logger must not take a connection down
  }
}
