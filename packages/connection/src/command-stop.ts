/**
 * Stopping a remote command for real after a timeout, an abort or `maxBuffer`. The command line
 * gets one line in front, `printf '\001xssh-pgid-<id>:%s\n' "$$" >&2`, run by the login shell
 * that then runs the command itself (no extra process, no `exec`): the shell is the session
 * leader sshd made with setsid(), so its pid names the command's process group. The line on
 * stderr is cut out of the output again, byte-exact. A stop signals the channel (RFC 4254 §6.9),
 * then kills that process group from a second session on the same connection and checks it is
 * gone (a stop that comes before the pid searches for the shell by the line's marker instead,
 * kill-script.ts); without tracking (turned off, a pty) it falls back to the signal request or,
 * with a pty, to the terminal hang-up of a closed channel.
 * @internal
 */
import { randomBytes } from 'node:crypto'
import type { CommandStop, SessionChannel } from '@x/transport'
import type { KillTarget } from './kill-script.js'

/** The stop records of abort reasons (the rejection stays `signal.reason` itself). */
const abortStops = new WeakMap<object, CommandStop>()

/**
 * Returns how the command behind a rejected `run()` or `sudo()` was stopped: the `stop` of a
 * TimeoutError or MaxBufferError, or — for an abort, which rejects with `signal.reason`
 * unchanged — the stop recorded for that reason object. One reason shared by several runs keeps
 * the most pessimistic record (`mayStillRun: true` if any of them may still run). Undefined for
 * anything else, and for a primitive abort reason (a string cannot carry a record).
 */
export function commandStopOf(err: unknown): CommandStop | undefined {
  if (typeof err !== 'object' || err === null) return undefined
  const own = (err as { stop?: unknown }).stop
  if (isStop(own)) return own
  return abortStops.get(err)
}

/** Records `stop` for an abort reason. @internal */
export function recordAbortStop(reason: unknown, stop: CommandStop): void {
  if (typeof reason !== 'object' || reason === null) return
  const earlier = abortStops.get(reason)
  if (earlier?.mayStillRun && !stop.mayStillRun) return
  abortStops.set(reason, stop)
}

function isStop(value: unknown): value is CommandStop {
  return typeof value === 'object' && value !== null && typeof (value as CommandStop).method === 'string' && typeof (value as CommandStop).mayStillRun === 'boolean'
}

/** The tracking line of one command and the marker it prints. @internal */
export interface TrackedCommand {
  /** What is sent to the server. */
  readonly line: string
  /** What the server's shell prints on stderr before the pid. */
  readonly marker: string
}

/**
 * Puts the pid-reporting line in front of `command`. It prints `<pid> <pgid>` of the login shell
 * (the process group read from /proc/$$/stat with shell builtins only, `$$` without /proc) and
 * unsets its two variables again.
 * @internal
 */
export function trackedCommandLine(command: string): TrackedCommand {
  const marker = `\u0001xssh-pgid-${randomBytes(6).toString('hex')}:`
  const v = '__xssh_stop'
  const g = '__xssh_pgid'
  const line = [
    `${g}=$$; if read -r ${v} 2>/dev/null </proc/$$/stat; then ${v}=\${${v}##*\\) }; ${v}=\${${v}#* }; ${v}=\${${v}#* }; ${g}=\${${v}%% *}; fi;`,
    `printf '\\001${marker.slice(1)}%s %s\\n' "$$" "$${g}" >&2; unset ${v} ${g}`,
  ].join(' ')
  // A line of its own: the shell parses the command text exactly as it would have without it.
  return { line: `${line}\n${command}`, marker }
}

/**
 * Finds the tracking line in stderr and cuts it out, passing everything else on unchanged and
 * in order. Holds back only a chunk's tail that could start the marker (it begins with \x01),
 * and looks only in the first 64 KiB.
 * @internal
 */
export class PidLineFilter {
  #held: Buffer = Buffer.alloc(0)
  #seen = 0
  #done = false
  /** The login shell's pid and process group, once seen. */
  ids: { readonly pid: number; readonly pgid: number } | undefined

  readonly #waiters: Array<() => void> = []

  constructor(private readonly marker: string) {}

  /** Resolves with the ids once seen, or undefined when stderr ended or `ms` passed first. */
  async waitForIds(ms: number): Promise<{ readonly pid: number; readonly pgid: number } | undefined> {
    if (this.ids || this.#done) return this.ids
    let timer: NodeJS.Timeout | undefined
    await new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms)
      this.#waiters.push(resolve)
    })
    clearTimeout(timer)
    return this.ids
  }

  #wake(): void {
    for (const resolve of this.#waiters.splice(0)) resolve()
  }

  /** Returns what of `chunk` (and earlier held bytes) can be passed on now. */
  feed(chunk: Buffer): Buffer {
    if (this.#done) return chunk
    const data = this.#held.length > 0 ? Buffer.concat([this.#held, chunk]) : chunk
    this.#held = Buffer.alloc(0)
    const at = data.indexOf(this.marker, 0, 'latin1')
    if (at >= 0) {
      const nl = data.indexOf(0x0a, at + this.marker.length)
      if (nl < 0) {
        this.#held = data.subarray(at)
        return data.subarray(0, at)
      }
      const [pid, pgid] = data.subarray(at + this.marker.length, nl).toString('latin1').split(' ').map(Number)
      if (pid !== undefined && pgid !== undefined && pid > 1 && pgid > 1 && Number.isSafeInteger(pid) && Number.isSafeInteger(pgid)) this.ids = { pid, pgid }
      this.#done = true
      this.#wake()
      return Buffer.concat([data.subarray(0, at), data.subarray(nl + 1)])
    }
    this.#seen += data.length
    if (this.#seen > 64 * 1024) {
      this.#done = true
      this.#wake()
      return data
    }
    const lastStart = data.lastIndexOf(0x01)
    if (lastStart >= 0 && this.marker.startsWith(data.subarray(lastStart).toString('latin1'))) {
      this.#held = data.subarray(lastStart)
      return data.subarray(0, lastStart)
    }
    return data
  }

  /** Returns whatever is still held back (at the end of stderr). */
  flush(): Buffer {
    this.#done = true
    this.#wake()
    const rest = this.#held
    this.#held = Buffer.alloc(0)
    return rest
  }
}

/** How a stop reaches the server. @internal */
export interface StopMeans {
  /** The tracked command line's pid line and kill, or undefined without tracking. */
  readonly tracked: {
    /** Where the login shell's pid and process group arrive. */
    readonly ids: PidLineFilter
    /** The marker of the tracked line ({@link KillTarget}). */
    readonly marker: string
    /** Runs {@link killScript} (kill-script.ts) in a second session; resolves true when all is gone. */
    readonly kill: (target: KillTarget) => Promise<boolean>
  } | undefined
  /** Whether the command has a pty. */
  readonly pty: boolean
}

/** How long a stop waits for the server to report the command's end, per step. */
const EXIT_GRACE_MS = 500

/**
 * How long a stop waits for a tracked shell's pid line before it searches for the shell by its
 * marker instead: the line comes one round trip after the exec unless startup files run long.
 */
const ID_WAIT_MS = 300

/**
 * Stops the command on `ch` and says how. Never rejects; bounded in time (the second session's
 * own bound, then {@link EXIT_GRACE_MS} per step). Destroys `ch`.
 * @internal
 */
export async function stopCommand(ch: SessionChannel, means: StopMeans): Promise<CommandStop> {
  const send = (name: string): boolean => {
    try {
      return ch.sendSignal(name)
    } catch {
      return false // not started: nothing runs
    }
  }
  if (means.tracked) {
    const { ids: line, marker, kill } = means.tracked
    const ids = await line.waitForIds(ID_WAIT_MS)
    // Only a group leader is signalled through the channel first: Dropbear signals just the
    // shell, and its children would leave the tree before the second session lists it.
    if (ids && ids.pid === ids.pgid) send('TERM')
    let gone = await kill(ids ?? { marker }).catch(() => false)
    // The shell may have reported itself while the search ran (it was still in its startup
    // files, or its line was in flight): then it lived on to fork the command, and its group or
    // tree, which hold whatever the search saw, say what is left.
    if (!ids && line.ids) gone = await kill(line.ids).catch(() => false)
    ch.destroy()
    return { method: 'process-group', mayStillRun: !gone }
  }
  const signalled = send('TERM')
  if (signalled && !means.pty) {
    let ended = await endedWithin(ch, EXIT_GRACE_MS)
    if (!ended && send('KILL')) ended = await endedWithin(ch, EXIT_GRACE_MS)
    ch.destroy()
    return { method: 'signal', mayStillRun: !ended }
  }
  if (signalled && (await endedWithin(ch, EXIT_GRACE_MS))) {
    ch.destroy()
    return { method: 'signal', mayStillRun: false }
  }
  ch.destroy()
  return means.pty ? { method: 'pty-hangup', mayStillRun: true } : { method: 'none', mayStillRun: true }
}

/** Whether the server reported the command's exit and ended its output within `ms`. */
async function endedWithin(ch: SessionChannel, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms)
  })
  const ended = (async (): Promise<boolean> => {
    // The transport may have ended first: then no exit status can come.
    const status = await ch.exitStatus().catch(() => undefined)
    if (!status || (status.code === null && status.signal === null)) return false
    if (!ch.readableEnded && !ch.destroyed) {
      await new Promise<void>((resolve) => {
        ch.once('end', resolve)
        ch.once('close', resolve)
      })
    }
    return true
  })()
  try {
    return await Promise.race([ended, timeout])
  } finally {
    clearTimeout(timer)
  }
}
