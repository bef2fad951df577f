import { chmod, chown, readFile, rename, writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { withFileLock } from './file-lock.js'
import { isProcessAlive } from './proc.js'
import { STATE_DIR } from './test-user.js'
import type { TestUser } from './test-user.js'

/** Every line the test bed writes ends with this tag, then `:<pid>:<instance>`. */
const TAG = 'xssh-testbed'

/**
 * Adds `publicLines` to the test user's ~/.ssh/authorized_keys (Dropbear 2022.83 reads only
 * that file) and returns a function that removes exactly those lines again.
 *
 * Several test bed instances, in several processes, share the file: each update happens
 * under a machine-wide lock and replaces the file atomically (rename), lines carry a tag
 * naming their owner (`xssh-testbed:<pid>:<id>`), an instance only removes its own lines,
 * and lines whose owner process is dead are pruned. Lines not written by the test bed
 * are kept as they are.
 */
export async function addAuthorizedKeys(
  user: TestUser,
  publicLines: readonly string[],
): Promise<() => Promise<void>> {
  const owner = `${TAG}:${process.pid}:${randomBytes(4).toString('hex')}`
  const tagged = publicLines.map((line) => {
    const [type, blob] = line.split(/\s+/)
    return `${type} ${blob} ${owner}`
  })
  await update(user, (lines) => [...lines, ...tagged])
  let removed: Promise<void> | undefined
  return () => (removed ??= update(user, (lines) => lines.filter((l) => !l.endsWith(` ${owner}`))))
}

async function update(user: TestUser, change: (lines: string[]) => string[]): Promise<void> {
  const path = `${user.home}/.ssh/authorized_keys`
  await withFileLock(`${STATE_DIR}/authorized-keys.lock`, async () => {
    const text = await readFile(path, 'utf8').catch(() => '')
    const lines = change(text.split('\n').filter((l) => l.trim() !== '' && !isStale(l)))
    const tmp = `${path}.${process.pid}.tmp`
    await writeFile(tmp, lines.map((l) => `${l}\n`).join(''), { mode: 0o600 })
    await chown(tmp, user.uid, user.gid)
    await chmod(tmp, 0o600)
    await rename(tmp, path)
  })
}

/** Tells whether a test bed line belongs to a process that no longer runs. */
function isStale(line: string): boolean {
  const match = new RegExp(` ${TAG}:(\\d+):[0-9a-f]+$`).exec(line)
  return match !== null && !isProcessAlive(Number(match[1]))
}
