import { openOurs, openRawSsh2, endRawSsh2 } from '../lib/clients.js'
import { interleave, type VariantName } from '../lib/interleave.js'
import { collectGarbage, peakRss, rssOf } from '../lib/memory.js'
import { startSsh, waitForListener } from '../lib/openssh.js'
import { freeLoopbackPort } from '../lib/ports.js'
import { rawForwardLocal } from '../lib/raw-forward.js'
import { BENCH_KEX, type BenchCipher } from '../lib/site.js'
import { summarize } from '../lib/stats.js'
import { MiB, ratio, type Figure } from '../lib/figure.js'

const CIPHER: BenchCipher = 'aes128-gcm@openssh.com'

/**
 * P6: many concurrent direct-tcpip channels on ONE connection: the load process opens them all at
 * once through a local forward (ours, `ssh -L` — OpenSSH's one multiplexed connection — and a
 * hand-written ssh2 forward) and echoes 64 KiB on each, checking every byte. Also reports the
 * client process's RSS growth (peak during the burst minus before it).
 */
export const p6Channels: Figure = {
  id: 'P6',
  title: 'concurrent channels',
  async run(ctx) {
    const { site, load, sizes, args } = ctx
    const { channels, channelBytes } = sizes
    const ours = await openOurs(site, CIPHER)
    const oursFwd = await ours.forwardLocal({ remoteHost: '127.0.0.1', remotePort: load.echoPort })
    const sshPort = await freeLoopbackPort()
    const ssh = startSsh(['-F', await site.configFile(CIPHER), '-N', '-o', 'ExitOnForwardFailure yes',
      '-L', `127.0.0.1:${sshPort}:127.0.0.1:${load.echoPort}`, 'target'])
    const raw = await openRawSsh2(site, site.target, CIPHER)
    const rawFwd = await rawForwardLocal(raw, load.echoPort)
    try {
      await waitForListener(sshPort, ssh.child)
      const growth = new Map<VariantName, number[]>([['ours', []], ['openssh', []], ['ssh2', []]])
      const inexact = new Map<VariantName, number>([['ours', 0], ['openssh', 0], ['ssh2', 0]])
      const burst = (name: VariantName, port: number, pid: number) => async () => {
        if (name !== 'openssh') await collectGarbage()
        const before = rssOf(pid)
        const { result, peak } = await peakRss(() => [pid], () => load.echoMany(port, channels, channelBytes))
        growth.get(name)!.push((peak - before) / MiB)
        inexact.set(name, inexact.get(name)! + channels - result.exact)
        return result.ms
      }
      const results = await interleave([
        { name: 'ours', measure: burst('ours', oursFwd.port, process.pid) },
        { name: 'openssh', measure: burst('openssh', sshPort, ssh.child.pid!) },
        { name: 'ssh2', measure: burst('ssh2', rawFwd.port, process.pid) },
      ], args.runs)
      const rss = new Map([...growth].map(([name, s]) => [name, summarize(s)]))
      const oursGrowth = rss.get('ours')!.max
      const notExact = [...inexact].filter(([, n]) => n > 0).map(([name, n]) => `${name} ${n}`)
      const exactness = notExact.length === 0 ? 'all byte-exact' : `NOT byte-exact: ${notExact.join(', ')} of ${channels * (args.runs + 1)} each`
      return [
        {
          figure: 'P6', measurement: `${channels} concurrent channels × ${channelBytes >> 10} KiB echo (${exactness})`,
          unit: 'ms', cipher: CIPHER.split('@')[0]!, kex: BENCH_KEX, results,
          target: '≤ 1.0× OpenSSH, all exact', met: inexact.get('ours') === 0 && ratio(results, 'ours', 'openssh') <= 1.0,
        },
        {
          figure: 'P6', measurement: `client RSS growth during the ${channels}-channel burst`, unit: 'MiB',
          cipher: CIPHER.split('@')[0]!, kex: BENCH_KEX, results: rss,
          target: '≤ 64 MiB (max)', met: oursGrowth <= 64,
        },
      ]
    } finally {
      await Promise.allSettled([oursFwd.close(), rawFwd.close(), ssh.close()])
      await ours.close()
      await endRawSsh2([raw])
    }
  },
}
