// Prepares this machine for the real-server tests (DESIGN.md §4): installs OpenSSH server and
// client, Dropbear, socat and openssl when one of their binaries is missing, and creates
// /run/sshd (sshd refuses to start without its privilege-separation directory).
//
// Plain Node ESM, no dependencies. Idempotent; returns in well under a second when everything
// is present. As root on Debian it installs what is missing with apt-get (bounded in time,
// output on stderr); as any other user it only reports what is missing and exits non-zero.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, chmodSync, statSync } from 'node:fs'

const REQUIRED = [
  '/usr/sbin/sshd',
  '/usr/sbin/dropbear',
  '/usr/bin/dropbearkey',
  '/usr/bin/socat',
  '/usr/bin/ssh',
  '/usr/bin/ssh-keygen',
  '/usr/bin/ssh-agent',
  '/usr/bin/ssh-add',
  '/usr/bin/openssl',
]
const PACKAGES = ['openssh-server', 'openssh-client', 'dropbear-bin', 'socat', 'openssl']
const APT_TIMEOUT_MS = 10 * 60_000
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0

function fail(message) {
  console.error(`prepare-test-host: ${message}`)
  process.exit(1)
}

/** Runs a command with its output on our stderr; fails loudly on a non-zero exit or timeout. */
function run(command, args, env = {}) {
  console.error(`prepare-test-host: ${command} ${args.join(' ')}`)
  const result = spawnSync(command, args, {
    stdio: ['ignore', process.stderr, process.stderr],
    env: { ...process.env, ...env },
    timeout: APT_TIMEOUT_MS,
    killSignal: 'SIGKILL',
  })
  if (result.error) fail(`${command} failed: ${result.error.message}`)
  if (result.status !== 0) {
    fail(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`)
  }
}

function missingBinaries() {
  return REQUIRED.filter((path) => !existsSync(path))
}

let missing = missingBinaries()
if (missing.length > 0) {
  if (!isRoot) {
    fail(
      `missing ${missing.join(', ')}; as root run: apt-get install -y ` +
        `--no-install-recommends ${PACKAGES.join(' ')}`,
    )
  }
  if (!existsSync('/usr/bin/apt-get')) fail(`missing ${missing.join(', ')} and no apt-get here`)
  const env = { DEBIAN_FRONTEND: 'noninteractive' }
  run('/usr/bin/apt-get', ['update'], env)
  run('/usr/bin/apt-get', ['install', '-y', '--no-install-recommends', ...PACKAGES], env)
  missing = missingBinaries()
  if (missing.length > 0) fail(`still missing after apt-get install: ${missing.join(', ')}`)
}

// sshd (run as root) needs its privilege-separation directory; /run is a tmpfs, so it is
// gone after every boot unless systemd's unit recreated it.
if (isRoot) {
  if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 })
  if ((statSync('/run/sshd').mode & 0o777) !== 0o755) chmodSync('/run/sshd', 0o755)
} else if (!existsSync('/run/sshd')) {
  fail('missing /run/sshd (sshd needs it); the real-server tests must run as root')
}
