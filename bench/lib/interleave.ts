import { summarize, type Summary } from './stats.js'

/** One side of a comparison: `measure()` returns one sample (MiB/s, ms or MiB). */
export interface Variant {
  readonly name: VariantName
  measure(): Promise<number>
}

/** Who is measured: this library, OpenSSH's client, or ssh2 used directly. */
export type VariantName = 'ours' | 'openssh' | 'ssh2'

/**
 * Measures every variant `runs` times, interleaved A/B/C, C/B/A, A/B/C … so that drift on a
 * shared machine (other processes, thermal, page cache) falls on all sides alike. One warm-up
 * round is run first and discarded.
 */
export async function interleave(variants: readonly Variant[], runs: number, warmUp = true): Promise<Map<VariantName, Summary>> {
  const samples = new Map<VariantName, number[]>(variants.map((v) => [v.name, []]))
  if (warmUp) for (const v of variants) await v.measure()
  for (let round = 0; round < runs; round++) {
    const order = round % 2 === 0 ? variants : [...variants].reverse()
    for (const v of order) samples.get(v.name)!.push(await v.measure())
  }
  return new Map([...samples].map(([name, s]) => [name, summarize(s)]))
}
