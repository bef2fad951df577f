/**
 * The second session of a stop: runs command-stop.ts's kill script on the same connection; and
 * whether a run is tracked for it at all.
 * @internal
 */
import type { SessionChannel, Transport } from '@x/transport'
import { trackedCommandLine } from './command-stop.js'
import { killScript, type KillTarget } from './kill-script.js'
import type { CollectControls, RunEncoding, RunOptions } from './run.js'
import { shellQuote } from './sudo.js'

/**
 * The bound of the kill session, from open to exit status: its login shell's startup files run
 * first (a root .bashrc that sets up pyenv took 2.5 s here), then the script's own ~1.5 s.
 */
const KILL_LIMIT_MS = 6_000

/**
 * Kills the command `target` names (its login shell's pid and group, or its marker) from a session of its own
 * on `t` (outside the session limiter: the stop must not queue behind the very commands it
 * stops); resolves true once it is gone, false when it could not tell (no connection, a refused
 * session, {@link KILL_LIMIT_MS} passed). For sudo (`sudoPassword` given, '' when none), the
 * script runs through `sudo -S` too: the user cannot signal the root processes sudo started.
 * The password goes to stdin only.
 * @internal
 */
export async function killRemoteProcesses(t: Transport | undefined, target: KillTarget, sudoPassword?: string): Promise<boolean> {
  if (!t?.isActive) return false
  let ch: SessionChannel | undefined
  let timer: NodeJS.Timeout | undefined
  const limit = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), KILL_LIMIT_MS)
  })
  const kill = (async (): Promise<boolean> => {
    ch = await t.openSession()
    const script = killScript(target)
    await ch.exec(sudoPassword === undefined ? script : `sudo -S -p '' -- /bin/sh -c ${shellQuote(script)}`)
    ch.end(sudoPassword === undefined ? undefined : `${sudoPassword}\n`)
    ch.resume()
    ch.stderr.resume()
    return (await ch.exitStatus()).code === 0
  })()
  kill.catch(() => {})
  try {
    return await Promise.race([kill, limit])
  } catch {
    return false
  } finally {
    clearTimeout(timer)
    ch?.destroy()
  }
}

/** A tracked command line and how its process group is killed. @internal */
export interface TrackedRun {
  readonly line: string
  readonly tracking: NonNullable<CollectControls['tracking']>
}

/**
 * The tracked command line of `command` (RunOptions.trackProcessGroup), or undefined: never
 * with a pty; by default only when the caller gave a bound that stops the command. The kill
 * runs on the transport `current()` returns at that moment.
 * @internal
 */
export function trackRun(command: string, options: RunOptions<RunEncoding>, current: () => Transport | undefined, sudoPassword?: string): TrackedRun | undefined {
  if (options.pty !== undefined && options.pty !== false) return undefined
  if (!(options.trackProcessGroup ?? callerCanStop(options))) return undefined
  const { line, marker } = trackedCommandLine(command)
  return { line, tracking: { marker, kill: (target) => killRemoteProcesses(current(), target, sudoPassword) } }
}

/**
 * Whether the caller gave `run` a bound that stops the command (`timeoutMs`, `signal`, an
 * explicit finite `maxBuffer`): only then does process-group tracking change the command line
 * by default, so a plain run sends the command exactly as given.
 */
function callerCanStop(options: RunOptions<RunEncoding>): boolean {
  return (options.timeoutMs !== undefined && options.timeoutMs > 0) || options.signal !== undefined || (options.maxBuffer !== undefined && Number.isFinite(options.maxBuffer))
}
