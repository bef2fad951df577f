/**
 * Profiling aid: summarizes a V8 `.cpuprofile` (from `node --cpu-prof`) as self time per package
 * (ours = packages/*, ssh2, other node_modules, node internals, GC, idle, program/native) and the
 * top self-time functions.
 *
 *   node --import tsx bench/profile-summary.ts /tmp/prof/CPU.*.cpuprofile [top]
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

const args = process.argv.slice(2)
const topArg = args.length > 1 && /^\d+$/.test(args.at(-1)!) ? Number(args.pop()) : 25

function bucketOf(url: string, name: string): string {
  if (name === '(idle)') return 'idle'
  if (name === '(garbage collector)') return 'GC'
  if (name === '(program)' || name === '(root)') return 'program (native, unattributed)'
  if (url.includes('/node_modules/ssh2/') || url.includes('ssh2@')) return 'ssh2'
  if (url.includes('/node_modules/')) return 'other node_modules'
  if (url.includes('/packages/')) return `ours (${url.split('/packages/')[1]!.split('/')[0]})`
  if (url.includes('/bench/')) return 'bench harness'
  if (url.startsWith('node:') || url === '') return 'node internals / native'
  return 'other'
}

for (const file of args) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const parentOf = new Map<number, number>()
  for (const n of p.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id)
  const self = new Map<number, number>()
  let total = 0
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0
    self.set(id, (self.get(id) ?? 0) + dt)
    total += dt
  })
  const buckets = new Map<string, number>()
  const fns = new Map<string, number>()
  const callers = new Map<string, Map<string, number>>()
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame
    const name = functionName || '(anonymous)'
    const b = bucketOf(url, name)
    buckets.set(b, (buckets.get(b) ?? 0) + us)
    const short = url.replace(/^.*\/node_modules\//, '').replace(/^.*\/packages\//, 'packages/').replace(/^file:\/\/.*\/bench\//, 'bench/')
    const key = `${name}  ${short}${url ? `:${lineNumber + 1}` : ''}  [${b}]`
    fns.set(key, (fns.get(key) ?? 0) + us)
    const parent = byId.get(parentOf.get(id) ?? -1)?.callFrame
    const caller = parent === undefined ? '-' : `${parent.functionName || '(anonymous)'} ${parent.url.replace(/^.*\//, '')}:${parent.lineNumber + 1}`
    const c = callers.get(key) ?? new Map<string, number>()
    c.set(caller, (c.get(caller) ?? 0) + us)
    callers.set(key, c)
  }
  const idle = buckets.get('idle') ?? 0
  const busy = total - idle
  const pct = (us: number, of: number): string => `${((us / of) * 100).toFixed(1)}%`
  process.stdout.write(`\n${file}: ${(total / 1e6).toFixed(1)} s sampled, busy ${(busy / 1e6).toFixed(1)} s (${pct(busy, total)})\n`)
  process.stdout.write('self time by package (share of busy time):\n')
  for (const [b, us] of [...buckets].filter(([b]) => b !== 'idle').sort((a, b) => b[1] - a[1])) {
    process.stdout.write(`  ${pct(us, busy).padStart(6)}  ${b}\n`)
  }
  process.stdout.write(`top ${topArg} functions by self time (share of busy time):\n`)
  for (const [k, us] of [...fns].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, topArg)) {
    const [caller] = [...callers.get(k)!].sort((a, b) => b[1] - a[1])[0]!
    process.stdout.write(`  ${pct(us, busy).padStart(6)}  ${k}  ← ${caller}\n`)
  }
}
