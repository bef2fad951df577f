import { openOurs, openRawSsh2Chain, rawExec, endRawSsh2 } from './clients.js'
import type { Variant } from './interleave.js'
import { SSH, timeProcess } from './openssh.js'
import type { BenchCipher, BenchSite } from './site.js'
import type { SshdHandle } from '@x/testbed'

/**
 * The three sides of "open + auth + run true + close", optionally through jump hosts
 * (`hops`, dialled first to last): ours with `proxyJump`, `ssh -J`, raw ssh2 chained over forwardOut.
 */
export function connectRunCloseVariants(site: BenchSite, cipher: BenchCipher, configPath: string, hops: readonly SshdHandle[]): Variant[] {
  const names = hops.map((h) => (h === site.hop1 ? 'hop1' : 'hop2'))
  const jump = names.length === 0 ? undefined : names.join(',')
  const timed = (fn: () => Promise<void>) => async () => {
    const t0 = performance.now()
    await fn()
    return performance.now() - t0
  }
  return [
    {
      name: 'ours',
      measure: timed(async () => {
        const conn = await openOurs(site, cipher, jump)
        try {
          const r = await conn.run('true')
          if (r.exitCode !== 0) throw new Error(`true exited ${r.exitCode}`)
        } finally {
          await conn.close()
        }
      }),
    },
    { name: 'openssh', measure: () => timeProcess(SSH, ['-F', configPath, ...(jump === undefined ? [] : ['-J', jump]), 'target', 'true']) },
    {
      name: 'ssh2',
      measure: timed(async () => {
        const clients = await openRawSsh2Chain(site, hops, cipher)
        try {
          const { code } = await rawExec(clients[clients.length - 1]!, 'true')
          if (code !== 0) throw new Error(`true exited ${code}`)
        } finally {
          await endRawSsh2(clients)
        }
      }),
    },
  ]
}
