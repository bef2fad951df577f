// Prepares this machine for the real-server tests (DESIGN.md §4): installs OpenSSH server and
// client, Dropbear (server, dbclient, dropbearconvert), PuTTY's plink/psftp/puttygen, Debian's
// python3 paramiko and asyncssh, socat, openssl, sudo, rsync, PostgreSQL, etcd, iproute2 (`ip netns`,
// `tc`) and util-linux (`nsenter`) when one of their binaries is missing, and creates /run/sshd
// (sshd refuses to start without its privilege-separation directory). The isolated gateway site
// (startSite) also needs root and a kernel with network namespaces and the htb/pfifo qdiscs
// and the u32 classifier; nothing here can install those.
//
// The test bed runs its own PostgreSQL servers (initdb in a temp dir, as the `postgres` account
// the package creates); it never uses, starts or stops the cluster Debian's package may create.
//
// Plain Node ESM, no dependencies. Idempotent; returns in well under a second when everything
// is present. As root on Debian it installs what is missing with apt-get (bounded in time,
// output on stderr); as any other user it only reports what is missing and exits non-zero.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, chmodSync, readdirSync, statSync } from 'node:fs'

// The binaries the test bed runs, by the Debian package that brings them. PostgreSQL's live
// under a versioned directory (Debian 12: /usr/lib/postgresql/15/bin), found at run time.
const requiredBinaries = () => ({
  'openssh-server': ['/usr/sbin/sshd'],
  'openssh-client': ['/usr/bin/ssh', '/usr/bin/ssh-keygen', '/usr/bin/ssh-agent', '/usr/bin/ssh-add'],
  // dbclient and dropbearconvert: the real-client tests of our server (dpkg -L dropbear-bin).
  'dropbear-bin': ['/usr/sbin/dropbear', '/usr/bin/dropbearkey', '/usr/bin/dbclient', '/usr/bin/dropbearconvert'],
  'putty-tools': ['/usr/bin/plink', '/usr/bin/psftp', '/usr/bin/puttygen'],
  // Debian's own paramiko 2.12 and asyncssh 2.10, run with /usr/bin/python3 (not a pyenv shim).
  'python3-paramiko': ['/usr/lib/python3/dist-packages/paramiko/__init__.py'],
  'python3-asyncssh': ['/usr/lib/python3/dist-packages/asyncssh/__init__.py'],
  socat: ['/usr/bin/socat'],
  iproute2: ['/sbin/ip', '/sbin/tc'],
  'util-linux': ['/usr/bin/nsenter'],
  openssl: ['/usr/bin/openssl'],
  curl: ['/usr/bin/curl'], // examples/forward-remote.ts runs it on the server side
  rsync: ['/usr/bin/rsync'], // @x/server's process tests run rsync -e ssh both ways
  sudo: ['/usr/bin/sudo', '/usr/sbin/visudo'],
  // A real etcd v3 for the router's shared state (startEtcd runs its own, never the packaged service).
  'etcd-server': ['/usr/bin/etcd'],
  postgresql: ['postgres', 'initdb', 'pg_isready', 'psql'].map((name) => `${postgresBinDir()}/${name}`),
})
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

/** Returns /usr/lib/postgresql/<newest version>/bin when it holds the server. */
function postgresBinDir() {
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root)
    ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))
    : []
  const found = versions.find((v) => existsSync(`${root}/${v}/bin/postgres`))
  return `${root}/${found ?? '<version>'}/bin`
}

/** Lists [package, its missing binaries] for every package with a binary missing. */
function missingPackages() {
  return Object.entries(requiredBinaries())
    .map(([pkg, paths]) => [pkg, paths.filter((path) => !existsSync(path))])
    .filter(([, paths]) => paths.length > 0)
}

// Only the packages with something missing: installing present ones would upgrade them.
const missing = missingPackages()
if (missing.length > 0) {
  const packages = missing.map(([pkg]) => pkg)
  const what = missing.flatMap(([, paths]) => paths).join(', ')
  if (!isRoot) {
    fail(`missing ${what}; as root run: apt-get install -y --no-install-recommends ${packages.join(' ')}`)
  }
  if (!existsSync('/usr/bin/apt-get')) fail(`missing ${what} and no apt-get here`)
  const env = { DEBIAN_FRONTEND: 'noninteractive' }
  run('/usr/bin/apt-get', ['update'], env)
  run('/usr/bin/apt-get', ['install', '-y', '--no-install-recommends', ...packages], env)
  const still = missingPackages().flatMap(([, paths]) => paths)
  if (still.length > 0) fail(`still missing after apt-get install: ${still.join(', ')}`)
}

// sshd (run as root) needs its privilege-separation directory; /run is a tmpfs, so it is
// gone after every boot unless systemd's unit recreated it.
if (isRoot) {
  if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 })
  if ((statSync('/run/sshd').mode & 0o777) !== 0o755) chmodSync('/run/sshd', 0o755)
} else if (!existsSync('/run/sshd')) {
  fail('missing /run/sshd (sshd needs it); the real-server tests must run as root')
}
