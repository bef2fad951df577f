/**
 * `expiry-time=` values as OpenSSH reads them (misc.c parse_absolute_time()):
 * YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS, in the server's local time, or in UTC when
 * followed by `Z` or `UTC` (either case).
 */

/**
 * Parses an expiry time. Returns undefined for anything sshd refuses, including the epoch
 * itself (sshd treats 0 as "no expiry" and rejects it). Out-of-range days roll over into the
 * next month, as mktime() does.
 */
export function parseExpiryTime(text: string): Date | undefined {
  let s = text
  let utc = false
  if (s.length > 1 && s.slice(-1).toLowerCase() === 'z') {
    utc = true
    s = s.slice(0, -1)
  } else if (s.length > 3 && s.slice(-3).toLowerCase() === 'utc') {
    utc = true
    s = s.slice(0, -3)
  }
  if (s.length !== 8 && s.length !== 12 && s.length !== 14) return undefined
  if (!/^[0-9]+$/.test(s)) return undefined
  const part = (at: number): number => (at < s.length ? Number(s.slice(at, at + 2)) : 0)
  const year = Number(s.slice(0, 4))
  const month = part(4)
  const day = part(6)
  const hour = part(8)
  const minute = part(10)
  const second = part(12)
  // strptime's ranges: %m 1-12, %d 1-31, %H 0-23, %M 0-59, %S 0-60 (a leap second).
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined
  const ms = utc
    ? Date.UTC(year, month - 1, day, hour, minute, second)
    : new Date(year, month - 1, day, hour, minute, second).getTime()
  if (!Number.isFinite(ms) || ms <= 0) return undefined
  return new Date(ms)
}

/**
 * Tells whether a key with this expiry is refused at `now`: sshd compares whole seconds and
 * refuses only once the expiry is strictly in the past.
 */
export function isExpired(expiresAtMs: number | undefined, now: Date): boolean {
  if (expiresAtMs === undefined) return false
  return Math.floor(expiresAtMs / 1000) < Math.floor(now.getTime() / 1000)
}
