/**
 * Nodesets, the host-list notation of ClusterShell that sshproxy's `dest` and `sources` take:
 * `node[01-12]:22`, `web[1,3,5-7]`, `r[1-2]n[1-4]` (every combination), `a,b[1-2]` (a list), and
 * a step `[1-9/2]`. A range keeps the zero padding of its left bound (`[08-10]` → 08 09 10).
 * Brackets that hold a `:` are an IPv6 literal, kept as they are (`[::1]:2222`).
 */

/** Raised for a nodeset that does not parse, or that would expand past {@link MAX_NODES}. */
export class NodesetError extends Error {
  override readonly name = 'NodesetError' as const
  /** 0-based offset in the nodeset text where the problem is. */
  readonly offset: number

  /** Creates the error for the problem at `offset`. */
  constructor(message: string, offset: number) {
    super(message)
    this.offset = offset
  }
}

/** The most names one nodeset may expand to: a hostile config cannot make the router allocate without bound. */
export const MAX_NODES = 10_000

/** Splits `text` on the commas outside brackets, with each part's offset. */
function topLevelParts(text: string): { part: string; at: number }[] {
  const parts: { part: string; at: number }[] = []
  let depth = 0
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '[') {
      if (depth > 0) throw new NodesetError('nested "[" in a nodeset', i)
      depth++
    } else if (c === ']') {
      if (depth === 0) throw new NodesetError('"]" without "["', i)
      depth--
    } else if (c === ',' && depth === 0) {
      parts.push({ part: text.slice(start, i), at: start })
      start = i + 1
    }
  }
  if (depth > 0) throw new NodesetError('"[" without "]"', text.lastIndexOf('['))
  parts.push({ part: text.slice(start), at: start })
  return parts
}

/** The values of one bracket's content (`1,3,5-7`, `01-12/2`), padded as written. */
function bracketValues(body: string, at: number): string[] {
  const out: string[] = []
  for (const item of body.split(',')) {
    const m = /^(\d+)(?:-(\d+)(?:\/(\d+))?)?$/.exec(item)
    if (!m) throw new NodesetError(`"${item}" is not a number, a range a-b or a range with a step a-b/s`, at)
    const [, lo, hi, stepText] = m as unknown as [string, string, string | undefined, string | undefined]
    if (hi === undefined) {
      out.push(lo)
    } else {
      const from = Number(lo)
      const to = Number(hi)
      const step = stepText === undefined ? 1 : Number(stepText)
      if (to < from) throw new NodesetError(`range ${item} goes down`, at)
      if (step < 1) throw new NodesetError(`range ${item} has a step below 1`, at)
      if ((to - from) / step + 1 + out.length > MAX_NODES) throw new NodesetError(`range ${item} has more than ${MAX_NODES} values`, at)
      const width = lo.length > 1 && lo.startsWith('0') ? lo.length : 0
      for (let n = from; n <= to; n += step) out.push(String(n).padStart(width, '0'))
    }
    if (out.length > MAX_NODES) throw new NodesetError(`more than ${MAX_NODES} values`, at)
  }
  return out
}

/** Expands one part without top-level commas: literal text and bracket groups, every combination in order. */
function expandPart(part: string, at: number): string[] {
  let names = ['']
  let i = 0
  while (i < part.length) {
    const open = part.indexOf('[', i)
    const literal = open < 0 ? part.slice(i) : part.slice(i, open)
    names = names.map((n) => n + literal)
    if (open < 0) break
    const close = part.indexOf(']', open)
    const body = part.slice(open + 1, close)
    const values = body.includes(':') ? [`[${body}]`] : bracketValues(body, at + open + 1)
    if (names.length * values.length > MAX_NODES) throw new NodesetError(`expands to more than ${MAX_NODES} names`, at + open)
    names = names.flatMap((n) => values.map((v) => n + v))
    i = close + 1
  }
  return names
}

/**
 * Expands a nodeset to its names, in the order written, each name once.
 *
 * @throws NodesetError for an unbalanced bracket, a bad range, an empty name, a node group
 *   (`@group`: ClusterShell's group files are not read), or more than {@link MAX_NODES} names.
 * @example
 * ```ts
 * expandNodeset('node[01-03]:22') // ['node01:22', 'node02:22', 'node03:22']
 * ```
 */
export function expandNodeset(text: string): string[] {
  const seen = new Set<string>()
  for (const { part, at } of topLevelParts(text)) {
    const trimmed = part.trim()
    const lead = part.length - part.trimStart().length
    if (trimmed === '') throw new NodesetError('empty name in a nodeset', at)
    if (trimmed.startsWith('@')) throw new NodesetError(`node groups (${trimmed}) are not supported: list the hosts`, at + lead)
    if (/\s/.test(trimmed)) throw new NodesetError(`"${trimmed}" holds a space`, at + lead)
    for (const name of expandPart(trimmed, at + lead)) {
      seen.add(name)
      if (seen.size > MAX_NODES) throw new NodesetError(`expands to more than ${MAX_NODES} names`, at)
    }
  }
  return [...seen]
}
