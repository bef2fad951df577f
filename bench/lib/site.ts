import { mkdir, chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startSshd, testUser, type SshdHandle } from '@x/testbed'

/** The SSH ciphers the bench compares (both AEAD, both accelerated by ssh2's native binding). */
export type BenchCipher = 'aes128-gcm@openssh.com' | 'chacha20-poly1305@openssh.com'

/** The key exchange pinned on every side: the one ssh2 1.17 prefers and OpenSSH 9.2 offers. */
export const BENCH_KEX = 'curve25519-sha256'
/** The host-key algorithm pinned on every side. */
export const BENCH_HOST_KEY = 'ssh-ed25519'

/** Three sshd on loopback (the target and two jump hosts) and the client files that reach them. */
export interface BenchSite {
  readonly target: SshdHandle
  /** Dialled first in a two-hop chain (`-J hop1,hop2`). */
  readonly hop1: SshdHandle
  readonly hop2: SshdHandle
  /** The client's ed25519 private key file. */
  readonly keyPath: string
  /** The client key's text (raw ssh2 takes it). */
  readonly keyText: string
  /** A known_hosts file listing all three servers. */
  readonly knownHostsFile: string
  /** ssh_config text naming `target`, `hop1` and `hop2`, pinned to `cipher`. */
  configText(cipher: BenchCipher): string
  /** Writes {@link configText} to a file for `ssh -F`; returns its path. */
  configFile(cipher: BenchCipher): Promise<string>
  close(): Promise<void>
}

/**
 * Prepares what the vitest global setup prepares for tests, for a bench run outside vitest:
 * sshd's privilege-separation dir and the test account the servers let in.
 */
async function prepareHost(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('pnpm bench must run as root: it starts sshd and uses the test account')
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 })
  await chmod('/run/sshd', 0o755)
  await testUser()
}

/** Starts the bench's three sshd (OpenSSH, loopback, fresh host keys, log level INFO) and writes the client files. */
export async function startBenchSite(): Promise<BenchSite> {
  await prepareHost()
  // INFO, not the test bed's DEBUG1: logging every channel would tax the server side of the bench.
  const options = { logLevel: 'INFO' as const, maxSessions: 64, extraConfig: ['MaxStartups 400:30:600'] }
  const [target, hop1, hop2] = await Promise.all([startSshd(options), startSshd(options), startSshd(options)])
  const dir = await mkdtemp(join(tmpdir(), 'xssh-bench-'))
  const knownHostsFile = join(dir, 'known_hosts')
  await writeFile(knownHostsFile, [...target.knownHostsLines, ...hop1.knownHostsLines, ...hop2.knownHostsLines].join('\n') + '\n')
  const keyPath = target.clientKeys.ed25519.privatePath
  const keyText = await readFile(keyPath, 'utf8')
  const configText = (cipher: BenchCipher): string => {
    const host = (alias: string, s: SshdHandle): string[] => [`Host ${alias}`, `  HostName ${s.host}`, `  Port ${s.port}`]
    return [
      ...host('target', target), ...host('hop1', hop1), ...host('hop2', hop2),
      'Host *',
      `  User ${target.user}`,
      `  IdentityFile ${keyPath}`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${knownHostsFile}`,
      '  GlobalKnownHostsFile /dev/null',
      '  StrictHostKeyChecking yes',
      '  UpdateHostKeys no',
      '  BatchMode yes',
      '  LogLevel ERROR',
      '  ControlMaster no',
      '  ControlPath none',
      '  ForwardAgent no',
      `  Ciphers ${cipher}`,
      `  KexAlgorithms ${BENCH_KEX}`,
      `  HostKeyAlgorithms ${BENCH_HOST_KEY}`,
      '  Compression no',
      '',
    ].join('\n')
  }
  return {
    target, hop1, hop2, keyPath, keyText, knownHostsFile, configText,
    configFile: async (cipher) => {
      const path = join(dir, `ssh_config.${cipher.split('@')[0]}`)
      await writeFile(path, configText(cipher))
      return path
    },
    close: async () => {
      await Promise.all([target.close(), hop1.close(), hop2.close()])
      await rm(dir, { recursive: true, force: true })
    },
  }
}
