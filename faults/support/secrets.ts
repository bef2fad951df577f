import { randomBytes } from 'node:crypto'
import { inspect } from 'node:util'

/** A unique, greppable secret for one run: `canary-<kind>-<random hex>`. */
export function canary(kind: string): string {
  return `canary-${kind}-${randomBytes(8).toString('hex')}`
}

/** One text a value shows the world, with where it came from. */
export interface Rendering {
  readonly where: string
  readonly text: string
}

/**
 * Every text `value` shows: for an error and each error in its `cause` chain (and an
 * AggregateError's `errors`), its message and stack; for every value, `util.inspect` with
 * hidden properties at unlimited depth and `JSON.stringify` (or the error it throws).
 */
export function renderings(value: unknown, label = 'value'): Rendering[] {
  const out: Rendering[] = []
  const seen = new Set<unknown>()
  const visit = (v: unknown, where: string, depth: number): void => {
    if (seen.has(v) || depth > 32) return
    seen.add(v)
    if (v instanceof Error) {
      out.push({ where: `${where}.message`, text: v.message }, { where: `${where}.stack`, text: String(v.stack) })
      if (v instanceof AggregateError) v.errors.forEach((e, i) => visit(e, `${where}.errors[${i}]`, depth + 1))
      if (v.cause !== undefined) visit(v.cause, `${where}.cause`, depth + 1)
    }
    out.push({ where: `inspect(${where})`, text: inspect(v, { depth: Infinity, showHidden: true, getters: true }) })
    let json: string
    try {
      json = JSON.stringify(v) ?? ''
    } catch (err) {
      json = `JSON.stringify threw: ${(err as Error).message}`
    }
    out.push({ where: `JSON.stringify(${where})`, text: json })
    if (typeof v === 'string') out.push({ where: `String(${where})`, text: v })
  }
  visit(value, label, 0)
  return out
}

/** The places where any of `secrets` shows up, as 'where: secret' lines; empty when none. */
export function leaks(texts: readonly Rendering[], secrets: readonly string[]): string[] {
  const found: string[] = []
  for (const { where, text } of texts) {
    for (const secret of secrets) if (text.includes(secret)) found.push(`${where}: ${secret}`)
  }
  return found
}
