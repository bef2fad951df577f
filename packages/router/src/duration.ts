/**
 * Durations as the config writes them: Go's time.ParseDuration forms that sshproxy reads
 * (`500ms`, `5s`, `2m`, `1h30m`, `1.5s`) and a plain number of seconds (`5`, or the YAML number 5).
 */

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** The longest duration accepted (a week): beyond it a timer would be a mistake, not a setting. */
export const MAX_DURATION_MS = 7 * 24 * 3_600_000

/**
 * Parses a duration to milliseconds (rounded to a whole millisecond).
 *
 * @throws RangeError naming what was expected, for anything else, a negative value, or more than a week.
 * @example
 * ```ts
 * parseDuration('1m30s') // 90000
 * parseDuration(5)       // 5000
 * ```
 */
export function parseDuration(value: string | number): number {
  let ms: number
  if (typeof value === 'number' || /^\s*\d+(\.\d+)?\s*$/.test(value)) {
    ms = Number(value) * 1000
  } else {
    const text = value.trim()
    const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/y
    ms = 0
    let i = 0
    while (i < text.length) {
      re.lastIndex = i
      const m = re.exec(text)
      if (!m) throw new RangeError(`"${value}" is not a duration (500ms, 5s, 2m, 1h30m, or seconds)`)
      ms += Number(m[1]) * UNITS[m[2]!]!
      i = re.lastIndex
    }
    if (text === '') throw new RangeError('an empty duration')
  }
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`"${value}" is not a duration ≥ 0`)
  if (ms > MAX_DURATION_MS) throw new RangeError(`"${value}" is longer than a week`)
  return Math.round(ms)
}
