import type { ChildProcess } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { descendantsInGroup } from './group-members.js'

/** How often the group is polled while it is being stopped. */
const POLL_MS = 10
/** How long {@link ProcessGroup.stop} waits after SIGKILL before it gives up waiting. */
const AFTER_KILL_MS = 5000
/** How long the other members get to be reaped by their parents before the leader is signalled. */
const MEMBERS_FIRST_MS = 100

/** Tells whether `pid` exists (a zombie not yet reaped by its parent included). */
function exists(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

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
    await this.#signal('SIGTERM')
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
        await this.#signal('SIGKILL')
      }
      if (now >= giveUpAt) return
      await sleep(POLL_MS)
    }
  }

  /**
   * Signals the other members first, so that a leader still waiting for them (a shell running a
   * pipeline) reaps them: killed together, they would be orphaned and left to init, which may be
   * slow to reap them or (Node as PID 1 in a container) never do it. Then the whole group.
   */
  async #signal(signal: NodeJS.Signals): Promise<void> {
    if (!this.isAlive()) return
    // Once the leader is gone its children are orphans already: nothing to gain.
    const others = this.#status === undefined ? await descendantsInGroup(this.pid) : []
    const signalled = others.filter((pid) => {
      try {
        process.kill(pid, signal)
        return true
      } catch {
        return false // ESRCH: gone already
      }
    })
    const until = Date.now() + MEMBERS_FIRST_MS
    while (signalled.some(exists) && Date.now() < until) await sleep(POLL_MS)
    if (!this.isAlive()) return
    try {
      process.kill(-this.pid, signal)
    } catch {
      // ESRCH: the group emptied meanwhile.
    }
  }
}
