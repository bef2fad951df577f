/**
 * put() and get() with a progress bar: upload a file, download it again (both atomic: a temp
 * file renamed into place), and check that the bytes are the same.
 *
 * Embedded lab: `pnpm tsx --conditions=source examples/put-get-with-progress.ts`
 * A real host:  `pnpm tsx --conditions=source examples/put-get-with-progress.ts user@host [remote-path]`
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Connection } from '@x/connection'
import { progressBar } from './lib/progress-bar.js'
import { exampleTarget } from './lib/target.js'

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex')

await using target = await exampleTarget('inner')
const remotePath = target.args[0] ?? 'x-ssh-example.bin'
await using ssh = new Connection(target.host, target.options)
const dir = await mkdtemp(join(tmpdir(), 'x-ssh-put-get-'))
try {
  const original = randomBytes(8 * 1024 * 1024)
  await writeFile(join(dir, 'original.bin'), original, { mode: 0o640 })

  const up = progressBar('put')
  const sent = await ssh.put(join(dir, 'original.bin'), remotePath, { onProgress: up.update })
  up.done()
  console.log(`put ${sent.bytes} bytes to ${sent.remotePath} (permission bits kept: ${(((await (await ssh.sftp()).stat(remotePath)).mode ?? 0) & 0o777).toString(8)})`)

  const down = progressBar('get')
  const received = await ssh.get(remotePath, join(dir, 'copy.bin'), { onProgress: down.update })
  down.done()
  const same = sha256(original) === sha256(await readFile(join(dir, 'copy.bin')))
  console.log(`get ${received.bytes} bytes to ${received.localPath}: ${same ? 'identical' : 'DIFFERENT'} (SHA-256)`)
  if (!same) process.exitCode = 1

  await (await ssh.sftp()).unlink(remotePath)
} finally {
  await rm(dir, { recursive: true, force: true })
}
