/**
 * The second session of a stop: runs command-stop.ts's kill script on the same connection.
 * @internal
 */
import type { SessionChannel, Transport } from '@x/transport'
import { killGroupScript } from './command-stop.js'
import { shellQuote } from './sudo.js'

/** The bound of the kill session, from open to exit status. */
const KILL_LIMIT_MS = 3_000

/**
 * Kills the command whose login shell is `pid` in process group `pgid` from a session of its own
 * on `t` (outside the session limiter: the stop must not queue behind the very commands it
 * stops); resolves true once it is gone, false when it could not tell (no connection, a refused
 * session, {@link KILL_LIMIT_MS} passed). For sudo (`sudoPassword` given, '' when none), the
 * script runs through `sudo -S` too: the user cannot signal the root processes sudo started.
 * The password goes to stdin only.
 * @internal
 */
export async function killRemoteProcesses(t: Transport | undefined, pid: number, pgid: number, sudoPassword?: string): Promise<boolean> {
  if (!t?.isActive) return false
  let ch: SessionChannel | undefined
  let timer: NodeJS.Timeout | undefined
  const limit = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), KILL_LIMIT_MS)
  })
  const kill = (async (): Promise<boolean> => {
    ch = await t.openSession()
    const script = killGroupScript(pid, pgid)
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
