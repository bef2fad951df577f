// Code shown in docs/ssh-config.md; release/snippets.test.ts runs it (no network involved).
import { Connection, resolveSshConfig, type SshConfigWarning } from '@x/connection'

/** Resolves a config the way `ssh -G` does, without connecting. */
export function resolveExample(): { port: string | readonly string[] | undefined; jump: string | readonly string[] | undefined; user: string } {
  // #region resolve
  const config = {
    text: [
      'Host db-*',
      '  ProxyJump bastion',
      '  User app',
      'Host *',
      '  User me',
      '  Port 2222',
    ].join('\n'),
  }
  const resolved = resolveSshConfig('db-1', { config })
  resolved['port']      // '2222'
  resolved['proxyjump'] // 'bastion'
  const c = new Connection('db-1', { config }) // nothing is dialled until open() or a verb
  c.sshConfig['user']   // 'app': the first value obtained wins, as in OpenSSH
  // #endregion resolve
  return { port: resolved['port'], jump: resolved['proxyjump'], user: String(c.sshConfig['user']) }
}

/** Builds a Connection from a macOS config and returns what it ignored. */
export function warningsExample(): readonly SshConfigWarning[] {
  // #region warnings
  const c = new Connection('github.com', { config: { text: 'Host *\n  UseKeychain yes\n' } })
  c.sshConfigWarnings // [{ keyword: 'usekeychain', file: '<ssh_config text>', line: 2, reason: 'vendor' }]
  // #endregion warnings
  return c.sshConfigWarnings
}
