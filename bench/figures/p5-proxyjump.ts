import { interleave } from '../lib/interleave.js'
import { connectRunCloseVariants } from '../lib/latency.js'
import { BENCH_KEX, type BenchCipher } from '../lib/site.js'
import { ratio, type Figure, type FigureRow } from '../lib/figure.js'

const CIPHER: BenchCipher = 'aes128-gcm@openssh.com'

/** P5: P4 through one and two ProxyJump hops (`proxyJump` vs `ssh -J` vs raw ssh2 over forwardOut). */
export const p5ProxyJump: Figure = {
  id: 'P5',
  title: 'latency through ProxyJump hops',
  async run(ctx) {
    const { site, args } = ctx
    const config = await site.configFile(CIPHER)
    const rows: FigureRow[] = []
    for (const hops of [[site.hop1], [site.hop1, site.hop2]]) {
      ctx.log(`P5 ${hops.length} hop(s)`)
      const results = await interleave(connectRunCloseVariants(site, CIPHER, config, hops), args.quick ? args.runs : args.runs * 4)
      rows.push({
        figure: 'P5', measurement: `P4 through ${hops.length} ProxyJump hop${hops.length > 1 ? 's' : ''}`, unit: 'ms',
        cipher: CIPHER.split('@')[0]!, kex: BENCH_KEX, results,
        target: '≤ 1.0× OpenSSH -J', met: ratio(results, 'ours', 'openssh') <= 1.0,
      })
    }
    return rows
  },
}
