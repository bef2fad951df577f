/** Tells how a session's process ended: an exit code, or a signal name without `SIG`. */
export type ProcessEnd = { readonly code: number; readonly signal: null } | { readonly code: null; readonly signal: string }

/** Describes a started session process, piped or on a pty, as the session runner sees it. */
export interface SessionProcess {
  /** Its pid, also its process group id (it was started as a session leader). */
  readonly pid: number
  /** Settles when it has exited and its output has been relayed. */
  readonly exited: Promise<ProcessEnd>
  /** What to send the group before SIGTERM when the channel closes early (SIGHUP for a pty). */
  readonly hangUpSignal?: NodeJS.Signals | undefined
  /** Releases what the relay holds (the pty master); idempotent. */
  close(): void
}
