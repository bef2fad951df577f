// Code shown in docs/timeouts.md; release/snippets.test.ts runs each function against a real sshd.
import { Connection, TimeoutError } from '@x/connection'
import type { ConnectionOptions } from '@x/connection'

/** Bounds one command with timeoutMs: the command is stopped and the call rejects. */
export async function commandTimeout(c: Connection): Promise<TimeoutError | undefined> {
  // #region command-timeout
  try {
    await c.run('sleep 60', { timeoutMs: 2_000 })
  } catch (err) {
    if (err instanceof TimeoutError) return err // err.phase === 'command', err.timeoutMs === 2000
    throw err
  }
  // #endregion command-timeout
  return undefined
}

/** Cancels with an AbortSignal: the call rejects with the signal's reason. */
export async function cancelled(c: Connection): Promise<unknown> {
  // #region abort
  const controller = new AbortController()
  setTimeout(() => controller.abort(new Error('user pressed Ctrl-C')), 500)
  try {
    await c.run('sleep 60', { signal: controller.signal })
  } catch (err) {
    return err // the Error given to abort(); the connection stays usable
  }
  // #endregion abort
  return undefined
}

/** Sets the limits of every phase that has one. */
export function limits(host: string): Connection {
  // #region limits
  const options: ConnectionOptions = {
    connectTimeoutMs: 10_000,                       // TCP connect + SSH handshake (ssh_config ConnectTimeout)
    timeouts: { authMs: 30_000, channelMs: 10_000 }, // each auth step; each channel open
    keepalive: { intervalMs: 15_000, countMax: 3 }, // dead peer found after ~45 s (ServerAliveInterval/CountMax)
  }
  const c = new Connection(host, options)
  // #endregion limits
  return c
}
