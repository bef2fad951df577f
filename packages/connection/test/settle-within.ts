/** A bounded look at a promise: every wait in a test ends (PREAMBLE: no unbounded wait). */
import { setTimeout as sleep } from 'node:timers/promises'

/** What `promise` resolved with within `ms`, or the string 'pending' when it had not settled by then. */
export async function settledWithin<T>(promise: Promise<T>, ms: number): Promise<T | 'pending'> {
  const ac = new AbortController()
  try {
    return await Promise.race([promise, sleep(ms, 'pending' as const, { signal: ac.signal })])
  } finally {
    ac.abort()
  }
}
