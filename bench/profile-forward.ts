/**
 * Profiling aid (not part of `pnpm bench`): runs ONE side of the P1 forward, so a `--cpu-prof`
 * profile shows only that side's work, and prints the CPU each process used (client, sshd's
 * connection processes, load process) as a share of the wall time.
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --conditions=source --import tsx \
 *     bench/profile-forward.ts <ours|ssh2|openssh> <up|down> [MiB] [aes128-gcm@openssh.com|chacha20-poly1305@openssh.com]
 */
import { openOurs, openRawSsh2, endRawSsh2 } from './lib/clients.js'
import { startLoadProcess } from './lib/load.js'
import { rawForwardLocal } from './lib/raw-forward.js'
import { startSsh, waitForListener } from './lib/openssh.js'
import { freeLoopbackPort } from './lib/ports.js'
import { startBenchSite, type BenchCipher } from './lib/site.js'
import { mibPerSecond, MiB } from './lib/figure.js'
import { cpuMsOf } from './lib/cpu.js'

const [side = 'ours', direction = 'up', mib = '512', cipher = 'aes128-gcm@openssh.com'] = process.argv.slice(2)
const bytes = Number(mib) * MiB
const site = await startBenchSite()
const load = await startLoadProcess()
try {
  const c = cipher as BenchCipher
  const remotePort = direction === 'up' ? load.sinkPort : load.sourcePort
  let port: number
  let stop: () => Promise<void>
  let clientPid = process.pid
  if (side === 'openssh') {
    port = await freeLoopbackPort()
    const ssh = startSsh(['-F', await site.configFile(c), '-N', '-L', `127.0.0.1:${port}:127.0.0.1:${remotePort}`, 'target'])
    await waitForListener(port, ssh.child)
    clientPid = ssh.child.pid!
    stop = () => ssh.close()
  } else if (side === 'ours') {
    const conn = await openOurs(site, c)
    const fwd = await conn.forwardLocal({ remoteHost: '127.0.0.1', remotePort })
    port = fwd.port
    stop = async () => { await fwd.close(); await conn.close() }
  } else {
    const client = await openRawSsh2(site, site.target, c)
    const fwd = await rawForwardLocal(client, remotePort)
    port = fwd.port
    stop = async () => { await fwd.close(); await endRawSsh2([client]) }
  }
  for (let i = 0; i < 3; i++) {
    const sshd = await site.target.connectionPids()
    const cpu = (): number[] => [cpuMsOf(clientPid), sshd.reduce((sum, pid) => sum + cpuMsOf(pid), 0), cpuMsOf(load.pid)]
    const before = cpu()
    const ms = direction === 'up' ? await load.up(port, bytes) : await load.down(port, bytes)
    const used = cpu().map((v, k) => ((v - before[k]!) / ms * 100).toFixed(0))
    process.stdout.write(`${side} ${direction} ${cipher}: ${mibPerSecond(bytes, ms).toFixed(0)} MiB/s; CPU % of wall: client ${used[0]}, sshd ${used[1]}, load ${used[2]}\n`)
  }
  await stop()
} finally {
  await load.close()
  await site.close()
}
