/**
 * Vitest globalSetup: runs once in the main process before any worker starts, so the
 * machine-wide parts of the test bed are created without racing (the test account, its
 * password file, its sudoers drop-in, /run/sshd), and the slow-to-generate keys are made once per run: the key
 * cache dir it names in XSSH_TESTBED_CACHE_DIR is inherited by the workers.
 */
import { existsSync } from 'node:fs'
import { chmod, mkdir } from 'node:fs/promises'
import { clientKeys } from './client-keys.js'
import { generateSshdHostKeys } from './host-keys.js'
import { KEY_CACHE_ENV, makeKeyCacheDir } from './key-cache.js'
import { SUDO, ensureSudo } from './sudo.js'
import { makeTempDir, removeTempDir } from './temp-dir.js'
import { testUser } from './test-user.js'

/** Prepares the run (as root: also the test account, its sudo and /run/sshd); returns the teardown. */
export default async function setup(): Promise<() => Promise<void>> {
  const cacheDir = await makeKeyCacheDir()
  process.env[KEY_CACHE_ENV] = cacheDir
  const teardown = async (): Promise<void> => {
    delete process.env[KEY_CACHE_ENV]
    await removeTempDir(cacheDir)
  }
  try {
    const scratch = await makeTempDir('warm-up')
    try {
      await Promise.all([clientKeys(), generateSshdHostKeys(scratch, ['rsa'])])
    } finally {
      await removeTempDir(scratch)
    }
    if (process.getuid?.() !== 0) {
      process.stderr.write('@x/testbed: not root, so no test account; real-server tests will fail\n')
      return teardown
    }
    await mkdir('/run/sshd', { recursive: true, mode: 0o755 })
    await chmod('/run/sshd', 0o755)
    await testUser()
    // Without sudo only the sudo tests fail (ensureSudo() names the fix); the rest can run.
    if (existsSync(SUDO)) await ensureSudo()
    else process.stderr.write(`@x/testbed: ${SUDO} missing (run scripts/prepare-test-host.mjs)\n`)
    return teardown
  } catch (err) {
    await teardown()
    throw err
  }
}
