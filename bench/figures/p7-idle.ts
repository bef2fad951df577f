import type { Connection } from '@x/connection'
import type { Client } from 'ssh2'
import { openOurs, openRawSsh2, endRawSsh2 } from '../lib/clients.js'
import { interleave } from '../lib/interleave.js'
import { collectGarbage, rssOf } from '../lib/memory.js'
import { startSsh, type SshProcess } from '../lib/openssh.js'
import { BENCH_KEX, type BenchCipher } from '../lib/site.js'
import { MiB, type Figure } from '../lib/figure.js'

const CIPHER: BenchCipher = 'aes128-gcm@openssh.com'
/** Connections opened at once while filling up (sshd's MaxStartups and 2 cores set the pace). */
const BATCH = 10

async function openInBatches<T>(count: number, open: () => Promise<T>): Promise<T[]> {
  const all: T[] = []
  while (all.length < count) {
    const n = Math.min(BATCH, count - all.length)
    all.push(...await Promise.all(Array.from({ length: n }, open)))
  }
  return all
}

/**
 * RSS per idle authenticated connection beyond the first, in this process after a full GC:
 * (RSS with N open − RSS with 1 open) / (N − 1).
 */
async function perConnection<T>(count: number, open: () => Promise<T>, close: (all: T[]) => Promise<void>): Promise<number> {
  const first = await open()
  await collectGarbage()
  const one = rssOf(process.pid)
  const rest = await openInBatches(count - 1, open)
  await collectGarbage()
  const many = rssOf(process.pid)
  await close([first, ...rest])
  return (many - one) / MiB / (count - 1)
}

/** Waits until an `ssh -N` has authenticated: sshd then has a post-auth child for it. */
async function waitForSessions(before: number, count: number, pids: () => Promise<number[]>): Promise<void> {
  const deadline = Date.now() + 60_000
  while ((await pids()).length < before + count) {
    if (Date.now() > deadline) throw new Error('ssh -N sessions did not all authenticate in 60 s')
    await new Promise((r) => setTimeout(r, 50))
  }
}

/**
 * P7: memory per idle authenticated connection. Ours and raw ssh2: RSS growth of this process per
 * connection. OpenSSH: the RSS of one `ssh -N` process per connection (each is its own process).
 */
export const p7Idle: Figure = {
  id: 'P7',
  title: 'memory per idle connection',
  async run(ctx) {
    const { site, sizes, args } = ctx
    const count = sizes.idleConnections
    const config = await site.configFile(CIPHER)
    const results = await interleave([
      {
        name: 'ours',
        measure: () => perConnection<Connection>(count, () => openOurs(site, CIPHER),
          async (all) => { await Promise.all(all.map((c) => c.close())) }),
      },
      {
        name: 'openssh',
        measure: async () => {
          const before = (await site.target.connectionPids()).length
          const procs: SshProcess[] = Array.from({ length: count }, () => startSsh(['-F', config, '-N', 'target']))
          try {
            await waitForSessions(before, count, () => site.target.connectionPids())
            const total = procs.reduce((sum, p) => sum + rssOf(p.child.pid!), 0)
            return total / MiB / count
          } finally {
            await Promise.all(procs.map((p) => p.close()))
          }
        },
      },
      {
        name: 'ssh2',
        measure: () => perConnection<Client>(count, () => openRawSsh2(site, site.target, CIPHER), (all) => endRawSsh2(all)),
      },
    ], args.runs, false)
    return [{
      figure: 'P7', measurement: `RSS per idle connection beyond the first (${count} open; OpenSSH: RSS of each ssh process)`,
      unit: 'MiB', cipher: CIPHER.split('@')[0]!, kex: BENCH_KEX, results,
      target: '≤ 1 MiB each', met: results.get('ours')!.median <= 1,
    }]
  },
}
