/**
 * Vitest globalSetup: runs once in the main process before any worker starts, so the
 * machine-wide parts of the test bed are created without racing: the test account (and its
 * password file) and /run/sshd.
 */
import { chmod, mkdir } from 'node:fs/promises'
import { testUser } from './test-user.js'

/** Prepares the test account and /run/sshd when running as root; warns otherwise. */
export default async function setup(): Promise<void> {
  if (process.getuid?.() !== 0) {
    process.stderr.write('@x/testbed: not root, so no test account; real-server tests will fail\n')
    return
  }
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 })
  await chmod('/run/sshd', 0o755)
  await testUser()
}
