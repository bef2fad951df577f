/**
 * The second session of a stop: runs command-stop.ts's kill script on the same connection.
 * @internal
 */
import type { Channel, Transport } from '@x/transport'
import { killScript, type KillTarget } from './kill-script.js'
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
  let ch: Channel | undefined
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
