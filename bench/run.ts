/**
 * `pnpm bench [--quick] [--only P1,P4] [--runs N]`: measures this library side by side with
 * OpenSSH (and raw ssh2) on sshd servers it starts on loopback, and prints one markdown table.
 * See BENCH.md for the figures and targets, docs/performance.md for the latest run.
 */
import { parseArgs } from './lib/args.js'
import { describeEnvironment } from './lib/environment.js'
import { sizesFor, type Figure, type FigureRow } from './lib/figure.js'
import { startLoadProcess } from './lib/load.js'
import { startBenchSite } from './lib/site.js'
import { renderTable } from './lib/table.js'
import { FIGURES } from './figures/index.js'

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2))
  const env = describeEnvironment()
  if (!env.nativeBinding) {
    process.stderr.write('bench: ssh2\'s native crypto binding is not loaded (its build script did not run or failed);\n' +
      'refusing to report numbers that would be slow for that reason. Rebuild it: npx -y pnpm@10 rebuild ssh2 cpu-features\n')
    return 2
  }
  const figures: Figure[] = FIGURES.filter((f) => args.only === undefined || args.only.has(f.id))
  const sizes = sizesFor(args.quick)
  const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`)
  const started = performance.now()
  const site = await startBenchSite()
  const load = await startLoadProcess()
  const rows: FigureRow[] = []
  try {
    for (const figure of figures) {
      log(`${figure.id} ${figure.title}`)
      rows.push(...await figure.run({ site, load, sizes, args, log }))
    }
  } finally {
    await load.close()
    await site.close()
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(0)
  const out = [
    `## x-ssh bench${args.quick ? ' (--quick)' : ''}: ${args.runs} interleaved runs per side, ${seconds} s`,
    '',
    `native binding: ${env.nativeBinding ? 'yes' : 'no'} · Node ${env.node} · ssh2 ${env.ssh2} · ${env.openssh}`,
    `machine: ${env.cpu}, ${env.cores} cores, Linux ${env.kernel}`,
    '',
    renderTable(rows),
    '',
  ]
  process.stdout.write(out.join('\n'))
  return 0
}

main().then((code) => { process.exitCode = code }, (err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error)?.stack ?? String(err)}\n`)
  process.exitCode = 1
})
