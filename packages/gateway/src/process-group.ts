import type { ChildProcess } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'

/** How often the group is polled while it is being stopped. */
const POLL_MS = 10
/** How long {@link ProcessGroup.stop} waits after SIGKILL before it gives up waiting. */
const AFTER_KILL_MS = 5000

/** How the leader ended. */
export interface ExitStatus {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

/**
 * Owns a child spawned with `detached: true`, which makes it the leader of its own process
 * group: signals the whole group, escalates from SIGTERM to SIGKILL, and waits until the
 * leader is reaped (libuv reaps it on SIGCHLD) and no member of the group is left. @internal
 */
export class ProcessGroup {
  /** PID of the leader, which is also the process group ID. */
  readonly pid: number
  /** Resolves once the leader has exited and been reaped. */
  readonly exited: Promise<void>
  #status: ExitStatus | undefined
  #empty = false
  #stopped: Promise<void> | undefined

  /** Watches `child`; `child.pid` must be set (the spawn succeeded). */
  constructor(child: ChildProcess, pid: number) {
    this.pid = pid
    child.on('error', () => {}) // e.g. a failed kill(); the exit status tells what happened
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#status = { code, signal }
        // Checked right away: once the leader is reaped and the group is empty, the ID may be
        // reused, so an empty group is never signalled again.
        this.isAlive()
        resolve()
      })
    })
  }

  /** How the leader exited; undefined while it runs. */
  get status(): ExitStatus | undefined {
    return this.#status
  }

  /** Tells whether any process (zombies included) is still in the group. */
  isAlive(): boolean {
    if (this.#empty) return false
    try {
      process.kill(-this.pid, 0)
      return true
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EPERM') return true
      this.#empty = true
      return false
    }
  }

  /**
   * Sends SIGTERM to the group, SIGKILL after `graceMs`, and resolves when the leader is reaped
   * and the group is empty (or `graceMs` + 5 s passed: a member stuck in uninterruptible sleep,
   * or an orphaned zombie that init has not reaped yet, can outlive it). Idempotent; never rejects.
   */
  stop(graceMs: number): Promise<void> {
    this.#stopped ??= this.#stop(graceMs)
    return this.#stopped
  }

  async #stop(graceMs: number): Promise<void> {
    this.#signal('SIGTERM')
    const killAt = Date.now() + graceMs
    const giveUpAt = killAt + AFTER_KILL_MS
    let killed = false
    let leaderGone = false
    void this.exited.then(() => {
      leaderGone = true
    })
    for (;;) {
      if (leaderGone && !this.isAlive()) return
      const now = Date.now()
      if (!killed && now >= killAt) {
        killed = true
        this.#signal('SIGKILL')
      }
      if (now >= giveUpAt) return
      await sleep(POLL_MS)
    }
  }

  #signal(signal: NodeJS.Signals): void {
    if (!this.isAlive()) return
    try {
      process.kill(-this.pid, signal)
    } catch {
      // ESRCH: the group emptied meanwhile.
    }
  }
}
