// Prints the figures a fault-suite run recorded (.reports/fault-figures.jsonl) as one markdown
// table, grouped by case: the median, min and max of each measure and its bound, for
// docs/reliability.md. Cases named "<family>: <variant>" (one per cipher × MAC pair, say) are
// folded into their family when it has more than five variants, so a sweep reads as one row per
// outcome. Usage: node scripts/fault-figures.mjs [path]
import { readFileSync } from 'node:fs'

const path = process.argv[2] ?? '.reports/fault-figures.jsonl'
const figures = readFileSync(path, 'utf8').split('\n').filter((line) => line.trim()).map((line) => JSON.parse(line))
const family = (name) => (name.includes(': ') ? name.slice(0, name.indexOf(': ')) : name)
const variants = new Map()
for (const f of figures) {
  if (!f.case.includes(': ')) continue
  const set = variants.get(family(f.case)) ?? new Set()
  set.add(f.case)
  variants.set(family(f.case), set)
}
const caseOf = (name) => ((variants.get(family(name))?.size ?? 0) > 5 ? `${family(name)} (${variants.get(family(name)).size} variants)` : name)

const rows = new Map()
for (const f of figures) {
  const name = caseOf(f.case)
  const key = `${name}\u0000${f.measure}\u0000${f.unit}`
  const row = rows.get(key) ?? { case: name, measure: f.measure, unit: f.unit, bound: f.bound, values: [] }
  row.values.push(f.value)
  if (f.bound !== undefined) row.bound = f.bound
  if (f.atLeast) row.atLeast = true
  rows.set(key, row)
}

const format = (n) => (Number.isInteger(n) ? String(n) : n.toFixed(Math.abs(n) >= 100 ? 0 : 2))
const median = (values) => {
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

console.log('| case | measure | value | bound | samples |')
console.log('|---|---|---|---|---|')
for (const row of [...rows.values()].sort((a, b) => a.case.localeCompare(b.case))) {
  const { values } = row
  const min = Math.min(...values)
  const max = Math.max(...values)
  const value = values.length === 1 ? format(values[0]) : `${format(median(values))} (${format(min)}–${format(max)})`
  const bound = row.bound === undefined ? '' : `${row.atLeast ? '≥' : '≤'} ${format(row.bound)} ${row.unit}`
  console.log(`| ${row.case} | ${row.measure} | ${value} ${row.unit} | ${bound} | ${values.length} |`)
}
