import { interleave } from '../lib/interleave.js'
import { connectRunCloseVariants } from '../lib/latency.js'
import { BENCH_KEX, type BenchCipher } from '../lib/site.js'
import { ratio, type Figure } from '../lib/figure.js'

const CIPHER: BenchCipher = 'aes128-gcm@openssh.com'

/** P4: open + key auth + `run('true')` + close, in-process, vs `ssh target true` and raw ssh2. */
export const p4Connect: Figure = {
  id: 'P4',
  title: 'connect latency',
  async run(ctx) {
    const { site, args } = ctx
    const config = await site.configFile(CIPHER)
    // Latency samples are short: take four times as many as the throughput figures.
    const results = await interleave(connectRunCloseVariants(site, CIPHER, config, []), args.quick ? args.runs : args.runs * 4)
    const ours = results.get('ours')!.median
    const ssh2 = results.get('ssh2')!.median
    return [{
      figure: 'P4', measurement: 'open + auth + run(true) + close', unit: 'ms',
      cipher: CIPHER.split('@')[0]!, kex: BENCH_KEX, results,
      target: '≤ 0.7× OpenSSH, ≤ ssh2 + 5 ms',
      met: ratio(results, 'ours', 'openssh') <= 0.7 && ours <= ssh2 + 5,
    }]
  },
}
