import { statSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { STATE_DIR, TEST_USER_NAME, runCommand, testUser } from '../src/index.js'

describe('testUser', () => {
  it('returns one locked-down account: /bin/sh, a 0700 home of its own, only its own group', async () => {
    const user = await testUser()
    expect(user.name).toBe(TEST_USER_NAME)
    expect(user.uid).toBeGreaterThan(0)
    const passwd = (await runCommand('/usr/bin/getent', ['passwd', user.name])).stdout.trim().split(':')
    expect(passwd[6]).toBe('/bin/sh')
    expect(passwd[5]).toBe(user.home)
    const home = statSync(user.home)
    expect([home.uid, home.gid, home.mode & 0o777]).toEqual([user.uid, user.gid, 0o700])
    const groups = (await runCommand('/usr/bin/id', ['-G', user.name])).stdout.trim()
    expect(groups).toBe(String(user.gid))
  })

  it('keeps its password in a root-only 0600 file and returns it again', async () => {
    const [a, b] = await Promise.all([testUser(), testUser()])
    expect(a.password).toBe(b.password)
    expect(a.password.length).toBeGreaterThanOrEqual(20)
    const file = statSync(`${STATE_DIR}/password`)
    expect([file.uid, file.mode & 0o777]).toEqual([0, 0o600])
    expect(statSync(STATE_DIR).mode & 0o777).toBe(0o700)
  })
})
