/**
 * Which hosts of a pool may be tried, from their health records: the one rule selection and the
 * prober agree on (sshproxy's `Check()`, route.go, minus its "no record means probe with no
 * cache" corner being different from a stale record: here both are simply "probe first").
 */
import type { HostRecord } from '../state/router-store.js'

/**
 * What a host's record says about trying it now:
 * - `'skip'`: not a candidate (disabled, or down and checked less than `checkIntervalMs` ago);
 * - `'fresh'`: up and checked less than `checkIntervalMs` ago — try it without probing;
 * - `'probe'`: a candidate that must be probed right before use (no record, or a record of
 *   `checkIntervalMs` or more ago whatever it says, or every record when `checkIntervalMs` is 0).
 */
export type Candidacy = 'skip' | 'fresh' | 'probe'

/**
 * Classifies a host by its record, at time `now` (ms since the epoch). The exact rule:
 *
 * 1. `disabled` → `'skip'`, whatever its age (an operator's decision; never probed into use).
 * 2. With `checkIntervalMs` 0 (sshproxy's empty `check_interval`) every other record is stale:
 *    → `'probe'`, up or down.
 * 3. No record → `'probe'`.
 * 4. `age = now - checkedAt`. A record from the future (another instance's clock ahead of
 *    ours) counts as age 0, so it is fresh for at most the skew plus one interval.
 *    `age < checkIntervalMs` is fresh: `up` → `'fresh'`, `down` → `'skip'`.
 *    `age >= checkIntervalMs` is stale: `up` or `down` → `'probe'` (a down host whose record
 *    aged out gets its place back, and one bounded probe decides).
 */
export function hostCandidacy(record: HostRecord | undefined, checkIntervalMs: number, now: number): Candidacy {
  if (record?.state === 'disabled') return 'skip'
  if (record === undefined || checkIntervalMs <= 0) return 'probe'
  const age = Math.max(0, now - record.checkedAt)
  if (age >= checkIntervalMs) return 'probe'
  return record.state === 'up' ? 'fresh' : 'skip'
}
