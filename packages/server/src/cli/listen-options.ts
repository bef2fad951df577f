/** Turns x-sshd's command line into {@link ListenOptions}: keys, auth files, what logins may do. */
import type { PrivateKey } from '@x/transport'
import { AuthorizedKeys } from '../authorized-keys/authorized-keys.js'
import type { AuthPolicy, ListenOptions } from '../listen/listen-options.js'
import { PasswordFile } from '../passwords/password-file.js'
import { fsSftp } from '../sftp/sftp-server.js'
import type { CliOptions } from './args.js'
import { lineLogger } from './log-format.js'

/**
 * Builds the options of listen() from parsed arguments and loaded host keys: exec and shell as
 * real processes when allowed, SFTP on `--root`, both forwardings (ports and Unix sockets) with `forward`, sessions as
 * the login's account when running as root (else as this process's user).
 *
 * @throws ConfigError when the password file or authorized_keys cannot be read or parsed.
 */
export async function cliListenOptions(cli: CliOptions, hostKeys: readonly PrivateKey[]): Promise<ListenOptions> {
  const [authorizedKeys, passwords] = await Promise.all([
    cli.authorizedKeys === undefined ? undefined : AuthorizedKeys.load(cli.authorizedKeys),
    cli.passwordFile === undefined ? undefined : PasswordFile.load(cli.passwordFile),
  ])
  const auth: AuthPolicy = {
    authorizedKeys,
    password: passwords === undefined ? undefined : (user, password) => passwords.check(user, password),
  }
  const isRoot = process.getuid?.() === 0
  return {
    host: cli.host,
    port: cli.port,
    hostKeys,
    auth,
    exec: cli.allow.has('exec') ? 'process' : undefined,
    shell: cli.allow.has('shell') ? 'process' : undefined,
    sftp: cli.allow.has('sftp') && cli.root !== undefined ? fsSftp({ root: cli.root, readOnly: cli.readOnly }) : undefined,
    // sshd's AllowTcpForwarding and AllowStreamLocalForwarding together: ports and Unix sockets.
    forwarding: cli.allow.has('forward') ? { local: true, remote: true, streamLocal: { local: true, remote: true } } : undefined,
    runAs: isRoot ? 'login' : 'self',
    maxStartups: cli.maxStartups,
    log: lineLogger(cli.log),
  }
}
