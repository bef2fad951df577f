/**
 * Stopping a remote command for real after a timeout, an abort or `maxBuffer`. The command line
 * gets one line in front, `printf '\001xssh-pgid-<id>:%s\n' "$$" >&2`, run by the login shell
 * that then runs the command itself (no extra process, no `exec`): the shell is the session
 * leader sshd made with setsid(), so its pid names the command's process group. The line on
 * stderr is cut out of the output again, byte-exact. A stop signals the channel (RFC 4254 §6.9),
 * then kills that process group from a second session on the same connection and checks it is
 * gone; without the pid (no tracking, a pty, a server that ran something else) it falls back to
 * the signal request or, with a pty, to the terminal hang-up of a closed channel.
 * @internal
 */
import { randomBytes } from 'node:crypto'
import type { CommandStop, SessionChannel } from '@x/transport'

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

/**
 * The POSIX sh script a second session runs to end the command whose login shell is `pid` in
 * process group `pgid`: TERM, KILL after ~0.5 s, exit 0 once all is gone (1 if something still
 * runs after ~1.5 s). When the shell leads its own group (OpenSSH's setsid()), the group is
 * signalled. Otherwise (Dropbear 2022.83 runs the shell in its own connection process's group,
 * which must not be hit) the shell's process tree is listed with `ps` and `awk`, frozen with
 * STOP so nothing forks or moves on, then sent TERM and CONT.
 * @internal
 */
export function killGroupScript(pid: number, pgid: number): string {
  const poll = [
    'i=0',
    'while alive; do',
    '  i=$((i+1))',
    '  if [ "$i" -eq 5 ]; then hit KILL; fi',
    '  if [ "$i" -gt 15 ]; then exit 1; fi',
    '  sleep 0.1 2>/dev/null || sleep 1',
    'done',
    'exit 0',
  ]
  if (pid === pgid) {
    return [
      `g=${pgid}`,
      'hit() { kill -s "$1" -- "-$g" 2>/dev/null; }',
      // Zombies are dead, and where PID 1 does not reap (containers) orphans stay zombies: count
      // the group's live members with ps when there is one.
      'if command -v ps >/dev/null 2>&1; then',
      `  alive() { ps -e -o pgid= -o stat= 2>/dev/null | awk -v g="$g" '$1 == g && $2 !~ /^Z/ { f = 1 } END { exit !f }'; }`,
      'else',
      '  alive() { kill -s 0 -- "-$g" 2>/dev/null; }',
      'fi',
      'hit TERM || exit 0',
      ...poll,
    ].join('\n')
  }
  return [
    `p=${pid}`,
    `t=$(ps -e -o pid= -o ppid= | awk -v r="$p" '{ up[$1] = $2 } END { if (!(r in up)) exit; k[r] = 1; do { c = 0; for (x in up) if (!(x in k) && (up[x] in k)) { k[x] = 1; c = 1 } } while (c); for (x in k) printf "%s ", x }')`,
    '[ -n "$t" ] || exit 0',
    'hit() { for x in $t; do kill -s "$1" "$x" 2>/dev/null; done; }',
    // A zombie is dead (and where PID 1 does not reap, stays one): ask ps for the state.
    'alive() { for x in $t; do s=$(ps -o stat= -p "$x" 2>/dev/null) || continue; case $s in Z*|"") ;; *) return 0 ;; esac; done; return 1; }',
    'hit STOP; hit TERM; hit CONT',
    ...poll,
  ].join('\n')
}

/** How a stop reaches the server. @internal */
export interface StopMeans {
  /** Waits (bounded) for the login shell's pid and process group from the tracking line; undefined without tracking. */
  readonly ids: (() => Promise<{ readonly pid: number; readonly pgid: number } | undefined>) | undefined
  /** Whether the command has a pty. */
  readonly pty: boolean
  /** Runs {@link killGroupScript} in a second session; resolves true when all is gone. */
  readonly killGroup: ((pid: number, pgid: number) => Promise<boolean>) | undefined
}

/** How long a stop waits for the server to report the command's end, per step. */
const EXIT_GRACE_MS = 500

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
  const ids = means.ids ? await means.ids() : undefined
  if (ids && means.killGroup) {
    // Only a group leader is signalled through the channel first: Dropbear signals just the
    // shell, and its children would leave the tree before the second session lists it.
    if (ids.pid === ids.pgid) send('TERM')
    let gone = false
    try {
      gone = await means.killGroup(ids.pid, ids.pgid)
    } catch {
      gone = false
    }
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
