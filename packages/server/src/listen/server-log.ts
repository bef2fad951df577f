/** What the server reports as it runs: one plain object per event, never a secret. */

/** The events a {@link ListenOptions.log} callback receives. */
export type ServerLogEvent =
  | { readonly event: 'listening'; readonly address: string; readonly port: number }
  | { readonly event: 'connect'; readonly id: number; readonly remote: string }
  | { readonly event: 'dropped'; readonly remote: string; readonly reason: 'max-startups' | 'max-connections' | 'closing' }
  | { readonly event: 'auth'; readonly id: number; readonly user: string; readonly method: string; readonly result: 'success' | 'partial' | 'failure'; readonly key?: string | undefined }
  | { readonly event: 'login'; readonly id: number; readonly user: string; readonly methods: readonly string[] }
  | { readonly event: 'session'; readonly id: number; readonly kind: 'shell' | 'exec' | 'subsystem'; readonly command?: string | undefined; readonly forced: boolean }
  | { readonly event: 'session-end'; readonly id: number; readonly exitCode: number | null; readonly exitSignal: string | null }
  | { readonly event: 'refused'; readonly id: number; readonly what: string; readonly detail?: string | undefined }
  | { readonly event: 'forward'; readonly id: number; readonly kind: 'local' | 'remote'; readonly host: string; readonly port: number }
  | { readonly event: 'forward'; readonly id: number; readonly kind: 'local-streamlocal' | 'remote-streamlocal'; readonly path: string }
  | { readonly event: 'handler-error'; readonly id: number; readonly what: string; readonly message: string }
  | { readonly event: 'disconnect'; readonly id: number; readonly code?: string | undefined; readonly message?: string | undefined }

/** Calls `log` without letting it throw into the server. @internal */
export function emitLog(log: ((event: ServerLogEvent) => void) | undefined, event: ServerLogEvent): void {
  if (!log) return
  try {
    log(event)
  } catch {
    // a failing logger must not take a connection down
  }
}
