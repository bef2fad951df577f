import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Client, SFTPWrapper } from 'ssh2'
import { testUser, testUserTempDir } from '@x/testbed'
import { openOurs, openRawSsh2, endRawSsh2 } from '../lib/clients.js'
import { interleave } from '../lib/interleave.js'
import { SFTP, timeProcess } from '../lib/openssh.js'
import { BENCH_KEX, type BenchCipher } from '../lib/site.js'
import { withOurs } from '../lib/sides.js'
import { CHUNK } from '../load/payload.js'
import { mibPerSecond, ratio, type Figure, type FigureRow } from '../lib/figure.js'

const CIPHER: BenchCipher = 'aes128-gcm@openssh.com'

async function writeRandomFile(path: string, bytes: number): Promise<void> {
  const parts: Buffer[] = []
  for (let left = bytes; left > 0; left -= CHUNK.length) parts.push(CHUNK.subarray(0, Math.min(left, CHUNK.length)))
  await writeFile(path, parts)
}

function rawSftp(client: Client): Promise<SFTPWrapper> {
  return new Promise((resolve, reject) => client.sftp((err, sftp) => (err ? reject(err) : resolve(sftp))))
}

function rawTransfer(client: Client, kind: 'put' | 'get', from: string, to: string): Promise<void> {
  return rawSftp(client).then((sftp) => new Promise<void>((resolve, reject) => {
    const done = (err?: Error | null): void => { sftp.end(); if (err) reject(err); else resolve() }
    if (kind === 'put') sftp.fastPut(from, to, done)
    else sftp.fastGet(from, to, done)
  }))
}

/** P3: SFTP `put`/`get` of one file, end to end (connect to close), vs `sftp -b` and ssh2's fastPut/fastGet. */
export const p3Sftp: Figure = {
  id: 'P3',
  title: 'SFTP put/get',
  async run(ctx) {
    const { site, sizes, args } = ctx
    const bytes = sizes.sftpBytes
    const local = await mkdtemp(join(tmpdir(), 'xssh-bench-sftp-'))
    const remote = await testUserTempDir('bench-sftp-')
    try {
      const source = join(local, 'source.bin')
      await writeRandomFile(source, bytes)
      const remoteSource = join(remote, 'source.bin')
      await writeRandomFile(remoteSource, bytes)
      const user = await testUser()
      await chown(remoteSource, user.uid, user.gid)
      const config = await site.configFile(CIPHER)
      const batch = join(local, 'batch')
      const rows: FigureRow[] = []
      for (const kind of ['put', 'get'] as const) {
        ctx.log(`P3 ${kind}`)
        const from = kind === 'put' ? source : remoteSource
        const to = kind === 'put' ? join(remote, 'up.bin') : join(local, 'down.bin')
        await writeFile(batch, `${kind} ${from} ${to}\n`)
        const timed = (fn: () => Promise<void>) => async () => {
          const t0 = performance.now()
          await fn()
          return mibPerSecond(bytes, performance.now() - t0)
        }
        const results = await interleave([
          {
            name: 'ours',
            measure: timed(() => withOurs(() => openOurs(site, CIPHER), async (conn) => {
              const r = kind === 'put' ? await conn.put(from, to) : await conn.get(from, to)
              if (r.bytes !== bytes) throw new Error(`${kind} moved ${r.bytes} of ${bytes} bytes`)
            })),
          },
          { name: 'openssh', measure: async () => mibPerSecond(bytes, await timeProcess(SFTP, ['-F', config, '-b', batch, 'target'])) },
          {
            name: 'ssh2',
            measure: timed(async () => {
              const client = await openRawSsh2(site, site.target, CIPHER)
              try { await rawTransfer(client, kind, from, to) } finally { await endRawSsh2([client]) }
            }),
          },
        ], args.runs)
        rows.push({
          figure: 'P3', measurement: `sftp ${kind}, ${bytes >> 20} MiB (connect to close)`, unit: 'MiB/s',
          cipher: CIPHER.split('@')[0]!, kex: BENCH_KEX, results,
          target: '≥ 1.0× OpenSSH sftp', met: ratio(results, 'ours', 'openssh') >= 1.0,
        })
      }
      return rows
    } finally {
      await rm(local, { recursive: true, force: true })
      await rm(remote, { recursive: true, force: true })
    }
  },
}
