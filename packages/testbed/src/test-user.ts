import { chmod, chown, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { withFileLock } from './file-lock.js'
import { runCommand } from './run-command.js'

/** Describes the local account every test server lets in. */
export interface TestUser {
  name: string
  /** Its password (random, made once per machine; sshd checks it through PAM). */
  password: string
  uid: number
  gid: number
  home: string
}

/** Names the test account's login. */
export const TEST_USER_NAME = 'xssh-test'
/** Names the root-only directory holding the test bed's machine-wide state. */
export const STATE_DIR = '/var/lib/xssh-testbed'
const PASSWORD_FILE = `${STATE_DIR}/password`
const HASH_FILE = `${STATE_DIR}/password-hash`

let cached: Promise<TestUser> | undefined

/**
 * Returns the dedicated local test account, creating it first when missing (as root).
 *
 * The account `xssh-test` has shell /bin/sh, a real home directory (0700) and only its own
 * group (so no sudo through a group); `ensureSudo()` (sudo.ts) gives it sudo with its own password
 * and nothing more. Its random password is generated once and kept in
 * /var/lib/xssh-testbed/password (root-only, 0600), then reused. Creation is serialised
 * by a machine-wide lock, so parallel vitest workers can all call this.
 *
 * @throws Error when not running as root or when useradd/chpasswd fail.
 */
export function testUser(): Promise<TestUser> {
  cached ??= ensureStateDir()
    .then(() => withFileLock(`${STATE_DIR}/user.lock`, ensureTestUser))
    .catch((err: unknown) => {
      cached = undefined
      throw err
    })
  return cached
}

/**
 * Creates /var/lib/xssh-testbed (root-only), where the test bed keeps machine-wide state.
 *
 * @throws Error when not running as root.
 */
export async function ensureStateDir(): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new Error(`the test bed must run as root (it manages the ${TEST_USER_NAME} account)`)
  }
  await mkdir(STATE_DIR, { recursive: true, mode: 0o700 })
  await chmod(STATE_DIR, 0o700)
}

async function ensureTestUser(): Promise<TestUser> {
  const { password, created } = await readOrCreatePassword()
  let entry = await passwdEntry()
  if (!entry) {
    await runCommand('/usr/sbin/useradd', [
      '--create-home', '--home-dir', `/home/${TEST_USER_NAME}`, '--shell', '/bin/sh',
      '--user-group', '--comment', 'x-ssh test bed', TEST_USER_NAME,
    ])
    entry = await passwdEntry()
    if (!entry) throw new Error(`useradd did not create ${TEST_USER_NAME}`)
  }
  // Keep an account found on the machine as locked down as one we create: /bin/sh, no
  // supplementary groups (so no sudo, adm, …).
  const groups = (await runCommand('/usr/bin/id', ['-G', TEST_USER_NAME])).stdout.trim()
  if (entry.shell !== '/bin/sh' || groups !== String(entry.gid)) {
    await runCommand('/usr/sbin/usermod', ['--shell', '/bin/sh', '--groups', '', TEST_USER_NAME])
  }
  // Set the password for a new password file, or when the account's hash is not the one we
  // set last time (new account, or someone changed it).
  const expected = await readFile(HASH_FILE, 'utf8').catch(() => '')
  if (created || expected === '' || (await shadowHash()) !== expected) {
    await runCommand('/usr/sbin/chpasswd', [], { input: `${TEST_USER_NAME}:${password}\n` })
    await writeFile(HASH_FILE, await shadowHash(), { mode: 0o600 })
  }
  const { uid, gid, home } = entry
  await mkdir(`${home}/.ssh`, { recursive: true, mode: 0o700 })
  for (const dir of [home, `${home}/.ssh`]) {
    await chown(dir, uid, gid)
    await chmod(dir, 0o700)
  }
  return { name: TEST_USER_NAME, password, uid, gid, home }
}

async function readOrCreatePassword(): Promise<{ password: string; created: boolean }> {
  const existing = (await readFile(PASSWORD_FILE, 'utf8').catch(() => '')).trim()
  if (existing) return { password: existing, created: false }
  const password = randomBytes(18).toString('base64url')
  const tmp = `${PASSWORD_FILE}.${process.pid}.tmp`
  await rm(tmp, { force: true })
  await writeFile(tmp, `${password}\n`, { mode: 0o600, flag: 'wx' })
  await rename(tmp, PASSWORD_FILE)
  return { password, created: true }
}

async function passwdEntry(): Promise<{ uid: number; gid: number; home: string; shell: string } | null> {
  const out = await runCommand('/usr/bin/getent', ['passwd', TEST_USER_NAME], { allowFailure: true })
  if (out.code !== 0) return null
  const fields = out.stdout.trim().split(':')
  const [uid, gid, home, shell = ''] = [Number(fields[2]), Number(fields[3]), fields[5], fields[6]]
  if (!Number.isInteger(uid) || !Number.isInteger(gid) || !home) {
    throw new Error(`unexpected passwd entry for ${TEST_USER_NAME}`)
  }
  return { uid, gid, home, shell }
}

async function shadowHash(): Promise<string> {
  const shadow = await readFile('/etc/shadow', 'utf8')
  const line = shadow.split('\n').find((l) => l.startsWith(`${TEST_USER_NAME}:`))
  return line?.split(':')[1] ?? ''
}
