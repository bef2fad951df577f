import type { Client } from 'ssh2'
import type { Connection, LocalForward } from '@x/connection'
import { openOurs, openRawSsh2, forwardOut, endRawSsh2 } from '../lib/clients.js'
import { interleave } from '../lib/interleave.js'
import { startSsh, waitForListener, type SshProcess } from '../lib/openssh.js'
import { freeLoopbackPort } from '../lib/ports.js'
import { rawForwardLocal, type RawForward } from '../lib/raw-forward.js'
import { BENCH_KEX, type BenchCipher } from '../lib/site.js'
import { pullFromSource, sendToSink } from '../lib/stream-io.js'
import { mibPerSecond, ratio, type Figure, type FigureContext, type FigureRow } from '../lib/figure.js'

const CIPHERS: readonly BenchCipher[] = ['aes128-gcm@openssh.com', 'chacha20-poly1305@openssh.com']

/** Every side's forwards to the load process's sink and source, for one cipher. */
interface Sides {
  ours: Connection
  oursSink: LocalForward
  oursSource: LocalForward
  ssh: SshProcess
  sshSinkPort: number
  sshSourcePort: number
  raw: Client
  rawSink: RawForward
  rawSource: RawForward
}

async function startSides(ctx: FigureContext, cipher: BenchCipher): Promise<Sides> {
  const { site, load } = ctx
  const ours = await openOurs(site, cipher)
  const oursSink = await ours.forwardLocal({ remoteHost: '127.0.0.1', remotePort: load.sinkPort })
  const oursSource = await ours.forwardLocal({ remoteHost: '127.0.0.1', remotePort: load.sourcePort })
  const [sshSinkPort, sshSourcePort] = [await freeLoopbackPort(), await freeLoopbackPort()]
  const config = await site.configFile(cipher)
  const ssh = startSsh(['-F', config, '-N', '-o', 'ExitOnForwardFailure yes',
    '-L', `127.0.0.1:${sshSinkPort}:127.0.0.1:${load.sinkPort}`,
    '-L', `127.0.0.1:${sshSourcePort}:127.0.0.1:${load.sourcePort}`, 'target'])
  await waitForListener(sshSinkPort, ssh.child)
  await waitForListener(sshSourcePort, ssh.child)
  const raw = await openRawSsh2(site, site.target, cipher)
  const rawSink = await rawForwardLocal(raw, load.sinkPort)
  const rawSource = await rawForwardLocal(raw, load.sourcePort)
  return { ours, oursSink, oursSource, ssh, sshSinkPort, sshSourcePort, raw, rawSink, rawSource }
}

async function stopSides(s: Sides): Promise<void> {
  await Promise.allSettled([s.oursSink.close(), s.oursSource.close(), s.rawSink.close(), s.rawSource.close(), s.ssh.close()])
  await s.ours.close()
  await endRawSsh2([s.raw])
}

function throughputRow(ctx: FigureContext, measurement: string, cipher: BenchCipher, results: FigureRow['results'], withOpenSsh: boolean): FigureRow {
  const vsSsh2 = ratio(results, 'ours', 'ssh2')
  const vsOpenSsh = ratio(results, 'ours', 'openssh')
  return {
    figure: 'P1', measurement, unit: 'MiB/s', cipher: cipher.split('@')[0]!, kex: BENCH_KEX, results,
    target: withOpenSsh ? '≥ 1.0× OpenSSH, ≥ 0.97× ssh2' : '≥ 0.97× ssh2',
    met: vsSsh2 >= 0.97 && (!withOpenSsh || vsOpenSsh >= 1.0),
  }
}

/** P1: local forward (`forwardLocal` vs `ssh -L` vs a hand-written ssh2 forward) and `openSocket` (vs `forwardOut`) throughput. */
export const p1Forward: Figure = {
  id: 'P1',
  title: 'forward throughput',
  async run(ctx) {
    const { load, sizes, args } = ctx
    const bytes = sizes.forwardBytes
    const rows: FigureRow[] = []
    for (const cipher of CIPHERS) {
      const s = await startSides(ctx, cipher)
      try {
        for (const direction of ['up', 'down'] as const) {
          ctx.log(`P1 forward ${direction} ${cipher}`)
          const through = (port: number) => async () =>
            mibPerSecond(bytes, direction === 'up' ? await load.up(port, bytes) : await load.down(port, bytes))
          const fwd = await interleave([
            { name: 'ours', measure: through(direction === 'up' ? s.oursSink.port : s.oursSource.port) },
            { name: 'openssh', measure: through(direction === 'up' ? s.sshSinkPort : s.sshSourcePort) },
            { name: 'ssh2', measure: through(direction === 'up' ? s.rawSink.port : s.rawSource.port) },
          ], args.runs)
          rows.push(throughputRow(ctx, `forwardLocal ${direction}, ${bytes >> 20} MiB`, cipher, fwd, true))
          ctx.log(`P1 openSocket ${direction} ${cipher}`)
          const port = direction === 'up' ? load.sinkPort : load.sourcePort
          const io = async (sock: import('node:stream').Duplex, t0: number): Promise<number> =>
            mibPerSecond(bytes, direction === 'up' ? await sendToSink(sock, load, bytes, t0) : await pullFromSource(sock, bytes, t0))
          const sock = await interleave([
            { name: 'ours', measure: async () => { const t0 = performance.now(); return io(await s.ours.openSocket('127.0.0.1', port), t0) } },
            { name: 'ssh2', measure: async () => { const t0 = performance.now(); return io(await forwardOut(s.raw, '127.0.0.1', port), t0) } },
          ], args.runs)
          rows.push(throughputRow(ctx, `openSocket ${direction}, ${bytes >> 20} MiB`, cipher, sock, false))
        }
      } finally {
        await stopSides(s)
      }
    }
    return rows
  },
}
