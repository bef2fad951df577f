import type { FigureRow } from './figure.js'
import { fmt, formatSummary } from './stats.js'
import { ratio } from './figure.js'

/** Renders the rows as one markdown table (medians with min–max, ratios per pair, target, met). */
export function renderTable(rows: readonly FigureRow[]): string {
  const head = '| # | measurement | unit | ours | OpenSSH | raw ssh2 | ours/OpenSSH | ours/ssh2 | target | met | cipher | kex |'
  const rule = '|---|---|---|---|---|---|---|---|---|---|---|---|'
  const cell = (row: FigureRow, name: 'ours' | 'openssh' | 'ssh2'): string => {
    const s = row.results.get(name)
    return s === undefined ? '–' : formatSummary(s)
  }
  const r = (row: FigureRow, b: 'openssh' | 'ssh2'): string => {
    const v = ratio(row.results, 'ours', b)
    return Number.isNaN(v) ? '–' : `${fmt(v)}×`
  }
  const lines = rows.map((row) =>
    `| ${row.figure} | ${row.measurement} | ${row.unit} | ${cell(row, 'ours')} | ${cell(row, 'openssh')} | ${cell(row, 'ssh2')} | ${r(row, 'openssh')} | ${r(row, 'ssh2')} | ${row.target} | ${row.met ? 'yes' : 'NO'} | ${row.cipher} | ${row.kex} |`)
  return [head, rule, ...lines].join('\n')
}
