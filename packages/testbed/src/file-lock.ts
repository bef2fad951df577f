import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { isProcessAlive } from './proc.js'

/** Configures {@link withFileLock}. */
export interface FileLockOptions {
  /** Give up waiting for the lock after this many milliseconds (default 30 000). */
  timeoutMs?: number
}

/**
 * Runs `fn` while holding a machine-wide lock named by `lockPath` (a directory that
 * `mkdir` creates atomically), and releases it afterwards, also when `fn` throws.
 *
 * Vitest runs test files in parallel worker processes; this is how they take turns at
 * machine-wide state (the test user, Dropbear's authorized_keys). A lock whose owner
 * process is dead is broken.
 *
 * @throws Error when the lock is not acquired within `timeoutMs`.
 */
export async function withFileLock<T>(
  lockPath: string,
  fn: () => Promise<T>,
  options: FileLockOptions = {},
): Promise<T> {
  const { timeoutMs = 30_000 } = options
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      await mkdir(lockPath, { mode: 0o700 })
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    await breakIfStale(lockPath)
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms locking ${lockPath}`)
    await sleep(20 + Math.random() * 30)
  }
  try {
    await writeFile(`${lockPath}/owner`, String(process.pid))
    return await fn()
  } finally {
    await rm(lockPath, { recursive: true, force: true })
  }
}

/** Removes the lock when its owner died holding it (or never wrote its pid within 10 s). */
async function breakIfStale(lockPath: string): Promise<void> {
  const owner = Number(await readFile(`${lockPath}/owner`, 'utf8').catch(() => ''))
  if (owner > 0 && isProcessAlive(owner)) return
  if (!(owner > 0)) {
    // Just created and the owner file not yet written, or the owner crashed in between.
    const created = await stat(lockPath).catch(() => null)
    if (!created || Date.now() - created.mtimeMs < 10_000) return
  }
  // Rename first so only one waiter removes this stale lock.
  const aside = `${lockPath}.stale-${randomBytes(6).toString('hex')}`
  if (await rename(lockPath, aside).then(() => true, () => false)) {
    await rm(aside, { recursive: true, force: true })
  }
}
