/** Median, minimum and maximum of a figure's samples. */
export interface Summary {
  readonly median: number
  readonly min: number
  readonly max: number
  readonly samples: readonly number[]
}

/** Summarises `samples` (at least one). */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('no samples')
  const sorted = [...samples].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, samples }
}

/** Formats a number with at most `digits` significant decimals for the table. */
export function fmt(value: number): string {
  if (!Number.isFinite(value)) return String(value)
  const abs = Math.abs(value)
  return abs >= 100 ? value.toFixed(0) : abs >= 10 ? value.toFixed(1) : value.toFixed(2)
}

/** `median (min–max)`. */
export function formatSummary(s: Summary): string {
  return `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`
}
