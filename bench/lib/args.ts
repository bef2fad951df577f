/** The command line of `pnpm bench`. */
export interface BenchArgs {
  /** `--quick`: a short smoke run (CI): fewer runs, smaller sizes. */
  readonly quick: boolean
  /** `--only P1,P4`: the figures to run; undefined: all. */
  readonly only: ReadonlySet<string> | undefined
  /** `--runs N`: samples per variant (default 5, quick 2). */
  readonly runs: number
}

/** Parses `argv` (without node and the script) into {@link BenchArgs}; throws on unknown flags. */
export function parseArgs(argv: readonly string[]): BenchArgs {
  let quick = false
  let only: Set<string> | undefined
  let runs: number | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--') continue
    if (arg === '--quick') quick = true
    else if (arg === '--only') only = new Set(String(argv[++i] ?? '').toUpperCase().split(',').filter(Boolean))
    else if (arg === '--runs') runs = Number(argv[++i])
    else throw new Error(`unknown argument ${arg} (use --quick, --only P1,P4, --runs N)`)
  }
  runs ??= quick ? 2 : 5
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be an integer ≥ 1')
  return { quick, only, runs }
}
