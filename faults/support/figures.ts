import { appendFileSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Where a run's measured figures go: one JSON object per line, read into docs/reliability.md. */
export const FIGURES_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '.reports', 'fault-figures.jsonl')

/** One measured figure of a fault case, as the test observed it. */
export interface Figure {
  /** The case, as named in docs/reliability.md (e.g. "silent server"). */
  case: string
  /** What was measured (e.g. "time to HandshakeError"). */
  measure: string
  /** The measured value. */
  value: number
  /** Its unit: "ms", "MiB", "fds", "cycles", ... */
  unit: string
  /** The bound the test asserts, in the same unit, when there is one: a maximum unless `atLeast`. */
  bound?: number
  /** The bound is a minimum the value must reach (a count of rekeys, say). */
  atLeast?: boolean
}

/**
 * Records a figure measured by a fault test, so a full run leaves every number the reliability
 * page reports in `.reports/fault-figures.jsonl`. Recording never fails a test.
 */
export function recordFigure(figure: Figure): void {
  try {
    mkdirSync(dirname(FIGURES_FILE), { recursive: true })
    appendFileSync(FIGURES_FILE, `${JSON.stringify({ ...figure, at: new Date().toISOString() })}\n`)
  } catch {
    // A read-only checkout still runs the suite; the figures are a by-product.
  }
}
