import { constants } from 'node:os'

/**
 * The signal names a client may send with a `signal` request: sshd's own list (OpenSSH session.c
 * name2sig). Others are refused, as sshd refuses them.
 */
export const CLIENT_SIGNALS: ReadonlySet<string> = new Set(['HUP', 'INT', 'KILL', 'QUIT', 'TERM', 'USR1', 'USR2'])

/** Names a signal number as an exit-signal does (RFC 4254 §6.10: no `SIG` prefix), e.g. 15 → 'TERM'. */
export function signalName(signal: number | NodeJS.Signals): string {
  if (typeof signal === 'string') return signal.replace(/^SIG/, '')
  for (const [name, number] of Object.entries(constants.signals)) {
    if (number === signal) return name.replace(/^SIG/, '')
  }
  return `SIG${signal}`
}

/**
 * Sends a signal to the process group `pgid` (the session's process is its leader: it was started in
 * a new session); returns false when the group is gone.
 */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false
    throw err
  }
}

/**
 * Ends the process group `pgid` within a bound: SIGTERM (after `first`, e.g. SIGHUP for a pty,
 * when given) now, SIGKILL after `graceMs` unless `exited` settles first. Resolves once the leader
 * has exited (`exited`) or the SIGKILL went out.
 */
export async function terminateGroup(
  pgid: number,
  exited: Promise<unknown>,
  options: { graceMs: number; first?: NodeJS.Signals | undefined },
): Promise<void> {
  if (options.first) signalGroup(pgid, options.first)
  if (!signalGroup(pgid, 'SIGTERM')) return
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), options.graceMs)
  })
  const done = await Promise.race([exited.then(() => false, () => false), timedOut])
  clearTimeout(timer)
  // Even when the leader exited, its group may live on (a background job): KILL the rest.
  signalGroup(pgid, 'SIGKILL')
  if (done) await exited.catch(() => {})
}
