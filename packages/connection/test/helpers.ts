import type { SshServerHandle } from '@x/testbed'
import { Connection, type ConnectionOptions } from '@x/connection'

/**
 * ssh_config text naming `server` as the alias 'target': its address, user, known_hosts file and
 * ed25519 key. Lines in `first` come before the defaults (ssh_config: the first value wins).
 */
export function configFor(server: SshServerHandle, first: readonly string[] = [], alias = 'target'): { text: string } {
  const lines = [
    `Host ${alias}`,
    ...first.map((line) => `  ${line}`),
    `  HostName ${server.host}`,
    `  Port ${server.port}`,
    `  User ${server.user}`,
    `  UserKnownHostsFile ${server.knownHostsFile}`,
    '  GlobalKnownHostsFile /dev/null',
    `  IdentityFile ${server.clientKeys.ed25519.privatePath}`,
    '  IdentitiesOnly yes',
  ]
  return { text: lines.join('\n') + '\n' }
}

/** A Connection to `server` through the 'target' alias of {@link configFor}. */
export function connectionTo(server: SshServerHandle, options: ConnectionOptions = {}, first: readonly string[] = []): Connection {
  return new Connection('target', { config: configFor(server, first), ...options })
}
