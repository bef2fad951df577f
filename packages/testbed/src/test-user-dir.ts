import { chown, mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { testUser } from './test-user.js'

/**
 * Makes a temp dir owned by the test account, so a test's SSH session (which runs as that
 * account) can write in it. The caller removes it.
 */
export async function testUserTempDir(prefix: string): Promise<string> {
  const user = await testUser()
  const dir = await mkdtemp(join(tmpdir(), `xssh-${prefix}`))
  await chown(dir, user.uid, user.gid)
  return dir
}
