/** The Unix groups of a user on this machine, through NSS (`id -Gn`), as sshd's Match Group sees them. */
import { execFile } from 'node:child_process'

const LOOKUP_TIMEOUT_MS = 2_000

/** The names of `user`'s groups; empty when the user is unknown or the lookup fails in time. */
export function unixGroupsOf(user: string): Promise<string[]> {
  return new Promise((resolve) => {
    // `--` so a user name starting with '-' is never an option.
    execFile('id', ['-Gn', '--', user], { timeout: LOOKUP_TIMEOUT_MS, killSignal: 'SIGKILL', env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' } }, (err, stdout) => {
      resolve(err ? [] : String(stdout).trim().split(/\s+/).filter((g) => g !== ''))
    })
  })
}
