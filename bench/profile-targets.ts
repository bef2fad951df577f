/**
 * Profiling aid (not part of `pnpm bench`): runs ONE side of P2 (exec stdout), P3 (SFTP put or
 * get) or P6 (concurrent channels) in this process, so a `--cpu-prof` profile shows only that
 * side's work, and prints the CPU each process used (client, sshd's connection processes — the
 * SFTP server is sshd's internal-sftp —, load process) as a share of the wall time.
 *
 *   node --conditions=source --import tsx bench/profile-targets.ts \
 *     <p2|put|get|p6> <ours|ssh2> [MiB, or channels for p6] [repeats] [profile dir]
 *
 * The connection (and the SFTP file) are set up before the measured part (the bench's P2 and P3
 * include connect and close; this times the transfer alone). With a profile dir, the V8 CPU
 * profiler runs only during the measured repeats (not during setup, module loading or the
 * test-file creation) and its profile is written there; summarize it with
 * bench/profile-summary.ts.
 */
import { chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Client, SFTPWrapper } from 'ssh2'
import { testUser, testUserTempDir } from '@x/testbed'
import { openOurs, openRawSsh2, endRawSsh2, rawExec } from './lib/clients.js'
import { startLoadProcess } from './lib/load.js'
import { rawForwardLocal } from './lib/raw-forward.js'
import { startBenchSite } from './lib/site.js'
import { countBytes } from './lib/sides.js'
import { mibPerSecond, MiB } from './lib/figure.js'
import { cpuMsOf } from './lib/cpu.js'
import { CHUNK } from './load/payload.js'

const CIPHER = 'aes128-gcm@openssh.com'
const [what = 'put', side = 'ours', amount, repeatsArg = '3', profileDir] = process.argv.slice(2)
if (!['p2', 'put', 'get', 'p6'].includes(what) || !['ours', 'ssh2'].includes(side)) {
  throw new Error('usage: profile-targets.ts <p2|put|get|p6> <ours|ssh2> [MiB|channels] [repeats]')
}
const repeats = Number(repeatsArg)
const size = Number(amount ?? (what === 'p6' ? 1000 : what === 'p2' ? 512 : 256))
const bytes = size * MiB

async function writeRandomFile(path: string, n: number): Promise<void> {
  const parts: Buffer[] = []
  for (let left = n; left > 0; left -= CHUNK.length) parts.push(CHUNK.subarray(0, Math.min(left, CHUNK.length)))
  await writeFile(path, parts)
}

const rawSftp = (client: Client): Promise<SFTPWrapper> =>
  new Promise((resolve, reject) => client.sftp((err, sftp) => (err ? reject(err) : resolve(sftp))))

const site = await startBenchSite()
const load = await startLoadProcess()
const local = await mkdtemp(join(tmpdir(), 'xssh-prof-'))
const remote = await testUserTempDir('prof-')
try {
  const conn = side === 'ours' ? await openOurs(site, CIPHER) : undefined
  const client = side === 'ssh2' ? await openRawSsh2(site, site.target, CIPHER) : undefined
  let once: () => Promise<void>
  let unit = 'MiB/s'
  let stop = async (): Promise<void> => {}
  if (what === 'put' || what === 'get') {
    const localFile = join(local, 'source.bin')
    const remoteFile = join(remote, 'source.bin')
    if (what === 'put') await writeRandomFile(localFile, bytes)
    else {
      await writeRandomFile(remoteFile, bytes)
      const user = await testUser()
      await chown(remoteFile, user.uid, user.gid)
    }
    const from = what === 'put' ? localFile : remoteFile
    const to = what === 'put' ? join(remote, 'up.bin') : join(local, 'down.bin')
    // PROFILE_CHUNK / PROFILE_CONCURRENCY override the transfer's chunkSize / concurrency (ours).
    const options = {
      ...(process.env.PROFILE_CHUNK ? { chunkSize: Number(process.env.PROFILE_CHUNK) } : {}),
      ...(process.env.PROFILE_CONCURRENCY ? { concurrency: Number(process.env.PROFILE_CONCURRENCY) } : {}),
    }
    if (conn) {
      const sftp = await conn.sftp()
      once = async () => {
        if (what === 'put') await sftp.fastPut(from, to, options)
        else await sftp.fastGet(from, to, options)
      }
    } else {
      const sftp = await rawSftp(client!)
      const internals = sftp as unknown as { outgoing: { packetSize: number; window: number }; _maxWriteLen: number; _maxReadLen: number }
      process.stdout.write(`ssh2 SFTP channel: remote max packet ${internals.outgoing.packetSize}, window ${internals.outgoing.window}, ` +
        `max write ${internals._maxWriteLen}, max read ${internals._maxReadLen}\n`)
      once = () => new Promise<void>((resolve, reject) => {
        const done = (err?: Error | null): void => (err ? reject(err) : resolve())
        if (what === 'put') sftp.fastPut(from, to, done)
        else sftp.fastGet(from, to, done)
      })
    }
  } else if (what === 'p2') {
    const command = `head -c ${bytes} /dev/zero`
    once = async () => {
      if (conn) {
        const channel = await conn.exec(command)
        channel.stderr.resume()
        const got = await countBytes(channel)
        if (got !== bytes) throw new Error(`exec: ${got} bytes`)
      } else {
        const { stdoutBytes } = await rawExec(client!, command)
        if (stdoutBytes !== bytes) throw new Error(`exec: ${stdoutBytes} bytes`)
      }
    }
  } else {
    unit = 'ms'
    const fwd = conn
      ? await conn.forwardLocal({ remoteHost: '127.0.0.1', remotePort: load.echoPort })
      : await rawForwardLocal(client!, load.echoPort)
    stop = () => fwd.close()
    once = async () => {
      const r = await load.echoMany(fwd.port, size, 64 * 1024)
      if (r.exact !== size) throw new Error(`p6: ${size - r.exact} echoes not exact`)
    }
  }
  const inspector = profileDir === undefined ? undefined : new Session()
  if (inspector) {
    inspector.connect()
    await inspector.post('Profiler.enable')
    await inspector.post('Profiler.start')
  }
  for (let i = 0; i < repeats; i++) {
    const sshd = await site.target.connectionPids()
    const cpu = (): number[] => [cpuMsOf(process.pid), sshd.reduce((sum, pid) => sum + cpuMsOf(pid), 0), cpuMsOf(load.pid)]
    const before = cpu()
    const t0 = performance.now()
    await once()
    const ms = performance.now() - t0
    const spent = cpu().map((v, k) => v - before[k]!)
    const used = spent.map((v) => (v / ms * 100).toFixed(0))
    const figure = unit === 'ms' ? `${ms.toFixed(0)} ms` : `${mibPerSecond(bytes, ms).toFixed(0)} MiB/s`
    process.stdout.write(`${what} ${side}: ${figure}; CPU % of wall: client ${used[0]}, sshd ${used[1]}, load ${used[2]}; ` +
      `CPU ms: client ${spent[0]!.toFixed(0)}, sshd ${spent[1]!.toFixed(0)}\n`)
  }
  if (inspector) {
    const { profile } = await inspector.post('Profiler.stop')
    await mkdir(profileDir!, { recursive: true })
    const file = join(profileDir!, `${what}-${side}-${Date.now()}.cpuprofile`)
    await writeFile(file, JSON.stringify(profile))
    inspector.disconnect()
    process.stdout.write(`profile: ${file}\n`)
  }
  await stop()
  if (conn) await conn.close()
  if (client) await endRawSsh2([client])
} finally {
  await rm(local, { recursive: true, force: true })
  await rm(remote, { recursive: true, force: true })
  await load.close()
  await site.close()
}
