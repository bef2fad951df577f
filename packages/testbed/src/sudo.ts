import { existsSync } from 'node:fs'
import { chmod, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { withFileLock } from './file-lock.js'
import { runCommand } from './run-command.js'
import { STATE_DIR, TEST_USER_NAME, ensureStateDir, testUser } from './test-user.js'

/** Names the real sudo binary (Debian package `sudo`). */
export const SUDO = '/usr/bin/sudo'
/** Names visudo, which checks a sudoers file before the test bed installs it. */
export const VISUDO = '/usr/sbin/visudo'
/** Names the drop-in that gives the test account sudo; Debian's /etc/sudoers reads /etc/sudoers.d. */
export const SUDOERS_FILE = '/etc/sudoers.d/xssh-testbed'

/**
 * Returns the text of {@link SUDOERS_FILE}: the test account may run anything as root after
 * typing its own password, which is asked every time and once only.
 */
export function sudoersText(): string {
  const user = TEST_USER_NAME
  return [
    '# Written by @x/testbed (packages/testbed/src/sudo.ts): the test account may become root,',
    '# always with its own password, asked for every time (no cached credential), one try only.',
    `Defaults:${user} !lecture, timestamp_timeout=0, passwd_tries=1`,
    // Its OWN password whatever /etc/sudoers says, no tty needed for `sudo -S`, and no mail to
    // root for each wrong-password test.
    `Defaults:${user} !rootpw, !targetpw, !runaspw, !requiretty, !mail_badpass`,
    `${user} ALL=(root) ALL`,
    '',
  ].join('\n')
}

let cached: Promise<void> | undefined

/**
 * Lets the test account `xssh-test` run commands as root with `sudo`, after typing its own
 * password ({@link testUser}): installs {@link SUDOERS_FILE} (0440, checked with `visudo -cf`,
 * written to a temp name sudo ignores and renamed into place) unless it is already there, under
 * a machine-wide lock so parallel vitest workers can all call it. Then checks with
 * `sudo -l -U xssh-test` that sudo reads it and grants nothing without a password.
 *
 * The vitest globalSetup calls it once per run; later calls in a process return at once.
 *
 * @throws Error when not root, when /usr/bin/sudo is missing (run scripts/prepare-test-host.mjs),
 *   when visudo rejects the file, or when sudo's effective rules for the account differ.
 */
export function ensureSudo(): Promise<void> {
  cached ??= installSudoers().catch((err: unknown) => {
    cached = undefined
    throw err
  })
  return cached
}

async function installSudoers(): Promise<void> {
  for (const binary of [SUDO, VISUDO]) {
    if (!existsSync(binary)) throw new Error(`${binary} is missing: run node scripts/prepare-test-host.mjs`)
  }
  await ensureStateDir()
  await testUser()
  await withFileLock(`${STATE_DIR}/sudo.lock`, writeSudoers)
  await checkEffectiveRules()
}

async function writeSudoers(): Promise<void> {
  const text = sudoersText()
  const [current, info] = await Promise.all([
    readFile(SUDOERS_FILE, 'utf8').catch(() => null),
    stat(SUDOERS_FILE).catch(() => null),
  ])
  if (current === text && info?.uid === 0 && info.gid === 0 && (info.mode & 0o777) === 0o440) return
  // sudo's @includedir skips names holding a '.', so the temp file is never read half-written.
  const tmp = `${SUDOERS_FILE}.${process.pid}.tmp`
  await rm(tmp, { force: true })
  try {
    await writeFile(tmp, text, { mode: 0o440, flag: 'wx' })
    await chmod(tmp, 0o440) // the umask may have narrowed it; visudo -c checks the mode too
    await runCommand(VISUDO, ['-c', '-f', tmp], { timeoutMs: 10_000 })
    await rename(tmp, SUDOERS_FILE)
  } finally {
    await rm(tmp, { force: true })
  }
}

/** Makes sure sudo itself sees the rule (so /etc/sudoers includes sudoers.d) and no NOPASSWD. */
async function checkEffectiveRules(): Promise<void> {
  const { stdout } = await runCommand(SUDO, ['-l', '-U', TEST_USER_NAME], { timeoutMs: 10_000 })
  const problems = [
    ...(/timestamp_timeout=0/.test(stdout) && /passwd_tries=1/.test(stdout) ? [] : ['our Defaults are not in effect']),
    ...(/^\s*\(root\) ALL$/m.test(stdout) ? [] : ['the rule "(root) ALL" is missing']),
    ...(/NOPASSWD|!authenticate/.test(stdout) ? ['a rule or default lets it in without a password'] : []),
  ]
  if (problems.length > 0) {
    throw new Error(`sudo -l -U ${TEST_USER_NAME}: ${problems.join('; ')} (does /etc/sudoers read ` +
      `/etc/sudoers.d?):\n${stdout}`)
  }
}
