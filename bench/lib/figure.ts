import type { BenchArgs } from './args.js'
import type { VariantName } from './interleave.js'
import type { LoadProcess } from './load.js'
import type { BenchSite } from './site.js'
import type { Summary } from './stats.js'

/** One row of the bench table: one measurement, every side that was measured. */
export interface FigureRow {
  /** 'P1' … 'P7'. */
  readonly figure: string
  readonly measurement: string
  readonly unit: 'MiB/s' | 'ms' | 'MiB'
  readonly cipher: string
  readonly kex: string
  readonly results: ReadonlyMap<VariantName, Summary>
  /** The target as BENCH.md states it. */
  readonly target: string
  /** Whether this run met it. */
  readonly met: boolean
}

/** Sizes of one run: the full run, or `--quick`. */
export interface BenchSizes {
  readonly forwardBytes: number
  readonly execBytes: number
  readonly sftpBytes: number
  readonly channels: number
  readonly channelBytes: number
  readonly idleConnections: number
}

/** What every figure gets: the servers, the load process, the sizes and the run count. */
export interface FigureContext {
  readonly site: BenchSite
  readonly load: LoadProcess
  readonly sizes: BenchSizes
  readonly args: BenchArgs
  /** Prints a progress line to stderr (the table goes to stdout). */
  log(line: string): void
}

/** One figure of BENCH.md: measures and returns its rows. */
export interface Figure {
  readonly id: string
  readonly title: string
  run(ctx: FigureContext): Promise<FigureRow[]>
}

const MiB = 1024 * 1024

/** The sizes of a full run (BENCH.md) and of `--quick` (CI smoke). */
export function sizesFor(quick: boolean): BenchSizes {
  return quick
    ? { forwardBytes: 32 * MiB, execBytes: 32 * MiB, sftpBytes: 16 * MiB, channels: 100, channelBytes: 64 * 1024, idleConnections: 20 }
    : { forwardBytes: 512 * MiB, execBytes: 512 * MiB, sftpBytes: 256 * MiB, channels: 1000, channelBytes: 64 * 1024, idleConnections: 100 }
}

/** Converts bytes moved in `ms` to MiB/s. */
export function mibPerSecond(bytes: number, ms: number): number {
  return bytes / MiB / (ms / 1000)
}

/** Ratio of two medians (ours first). */
export function ratio(results: ReadonlyMap<VariantName, Summary>, a: VariantName, b: VariantName): number {
  const x = results.get(a)?.median
  const y = results.get(b)?.median
  return x === undefined || y === undefined ? Number.NaN : x / y
}

export { MiB }
