import { openOurs, openRawSsh2, rawExec, endRawSsh2 } from '../lib/clients.js'
import { interleave } from '../lib/interleave.js'
import { SSH, timeProcess } from '../lib/openssh.js'
import { BENCH_KEX, type BenchCipher } from '../lib/site.js'
import { countBytes, withOurs } from '../lib/sides.js'
import { mibPerSecond, ratio, type Figure } from '../lib/figure.js'

const CIPHER: BenchCipher = 'aes128-gcm@openssh.com'

/**
 * P2: stdout throughput of one command, end to end as a user runs it (connect, auth, exec, read
 * everything, close): `exec()` streaming (run() would buffer 512 MiB into a string) vs
 * `ssh target cmd > /dev/null` vs raw ssh2.
 */
export const p2Exec: Figure = {
  id: 'P2',
  title: 'exec stdout throughput',
  async run(ctx) {
    const { site, sizes, args } = ctx
    const bytes = sizes.execBytes
    const command = `head -c ${bytes} /dev/zero`
    const config = await site.configFile(CIPHER)
    const results = await interleave([
      {
        name: 'ours',
        measure: async () => {
          const t0 = performance.now()
          await withOurs(() => openOurs(site, CIPHER), async (conn) => {
            const channel = await conn.exec(command)
            channel.stderr.resume()
            const got = await countBytes(channel)
            const { code } = await channel.exitStatus()
            if (got !== bytes || code !== 0) throw new Error(`exec: ${got} bytes, exit ${code}`)
          })
          return mibPerSecond(bytes, performance.now() - t0)
        },
      },
      { name: 'openssh', measure: async () => mibPerSecond(bytes, await timeProcess(SSH, ['-F', config, 'target', command])) },
      {
        name: 'ssh2',
        measure: async () => {
          const t0 = performance.now()
          const client = await openRawSsh2(site, site.target, CIPHER)
          const { code, stdoutBytes } = await rawExec(client, command)
          await endRawSsh2([client])
          if (stdoutBytes !== bytes || code !== 0) throw new Error(`ssh2 exec: ${stdoutBytes} bytes, exit ${code}`)
          return mibPerSecond(bytes, performance.now() - t0)
        },
      },
    ], args.runs)
    return [{
      figure: 'P2', measurement: `exec stdout, ${bytes >> 20} MiB (connect to close)`, unit: 'MiB/s',
      cipher: CIPHER.split('@')[0]!, kex: BENCH_KEX, results,
      target: '≥ 1.0× OpenSSH', met: ratio(results, 'ours', 'openssh') >= 1.0,
    }]
  },
}
