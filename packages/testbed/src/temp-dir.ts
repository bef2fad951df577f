import { mkdtemp, rm } from 'node:fs/promises'
import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Creates a fresh private (0700) directory under the system temp dir and returns its path. */
export function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `xssh-${prefix}-`))
}

/** Removes a directory made by {@link makeTempDir}, with everything in it; never throws. */
export async function removeTempDir(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true, maxRetries: 3 }).catch(() => {})
}

/**
 * Removes `path` when this process exits, for temp dirs cached for the whole process.
 *
 * Registers one synchronous 'exit' listener per path; the test bed calls it once per cache.
 */
export function removeTempDirOnExit(path: string): void {
  process.once('exit', () => {
    try {
      rmSync(path, { recursive: true, force: true })
    } catch {
      // best effort at exit: nothing left to report to
    }
  })
}
