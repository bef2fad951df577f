/**
 * Words for the Connection's own debug lines (the `debug` option): which config, which route.
 * Never a secret: paths, host names, ports and the ProxyCommand as written (OpenSSH's `-v` prints
 * it too).
 * @internal
 */
import type { SshConfigSource, SshConfigWarning } from '@x/ssh-config'
import type { GatewayRoute } from './gateway-route.js'
import { describeHostKeyPolicy } from './host-key-policy.js'
import type { HostSettings } from './host-settings.js'

/** Writes a host for a `user@host:port` label (IPv6 in brackets). */
export function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host
}

/** Names the ssh_config source. */
export function describeConfigSource(source: SshConfigSource | undefined): string {
  if (source === undefined) return '~/.ssh/config and /etc/ssh/ssh_config (the defaults)'
  if (source === false) return 'none (config: false)'
  if (typeof source === 'string') return source
  if (Array.isArray(source)) return source.join(', ')
  const text = source as { readonly path?: string }
  return `text given in options${text.path === undefined ? '' : ` (as ${text.path})`}`
}

/** Says how the connection reaches `hostname:port`. */
export function describeRoute(
  route: GatewayRoute<{ readonly user: string; readonly host: string; readonly port: number; close(): Promise<void> }>,
  hostname: string,
  port: number,
): string {
  switch (route.kind) {
    case 'direct':
      return `direct TCP to ${hostname}:${port}`
    case 'jump':
      return `through the gateway ${route.via.user}@${formatHost(route.via.host)}:${route.via.port} (${route.source})`
    case 'proxy-command':
      return `ProxyCommand (${route.source}): ${route.command}`
  }
}

/** Tells `debug` which config, route, host-key policy and rekey limit an open uses (never a secret). */
export function explainOpen(
  debug: (line: string) => void,
  settings: HostSettings,
  source: SshConfigSource | undefined,
  warnings: readonly SshConfigWarning[],
  route: Parameters<typeof describeRoute>[0],
): void {
  const { user, hostname, port } = settings
  debug(`config: ${describeConfigSource(source)}; resolved to ${user}@${hostname}:${port}`)
  for (const w of warnings) debug(`config: ${w.file} line ${w.line}: ignoring ${w.keyword} (${w.reason})`)
  debug(`route: ${describeRoute(route, hostname, port)}`)
  debug(`host keys: ${describeHostKeyPolicy(settings.hostKeys)}, checked as ${settings.hostKeys.name}:${port}`)
}
