/**
 * A transfer progress bar for `put()`/`get()`'s `onProgress`: redrawn in place on a terminal,
 * plain lines at every quarter when the output is a pipe or a file (CI logs stay readable).
 */

/** Receives progress, as `onProgress` does; `done()` ends the bar's line. */
export interface ProgressBar {
  readonly update: (bytes: number, total: number | undefined) => void
  done(): void
}

const MiB = 1024 * 1024

/** Returns a bar labelled `label` that draws on `out` (default stdout). */
export function progressBar(label: string, out: NodeJS.WriteStream = process.stdout): ProgressBar {
  const width = 30
  let lastQuarter = -1
  let lastPercent = -1
  let drawn = false
  const size = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`
  return {
    update(bytes, total) {
      const fraction = total ? Math.min(1, bytes / total) : 0
      const amount = total === undefined ? size(bytes) : `${size(bytes)} / ${size(total)}`
      if (out.isTTY) {
        const percent = Math.round(fraction * 100)
        if (percent === lastPercent && bytes !== total) return // redraw only when the figure changes
        lastPercent = percent
        const filled = Math.round(fraction * width)
        out.write(`\r  ${label} [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${String(percent).padStart(3)}% ${amount}`)
        drawn = true
        return
      }
      const quarter = Math.floor(fraction * 4)
      if (quarter > lastQuarter) {
        lastQuarter = quarter
        out.write(`  ${label} ${quarter * 25}% ${amount}\n`)
      }
    },
    done() {
      if (drawn) out.write('\n')
      drawn = false
    },
  }
}
