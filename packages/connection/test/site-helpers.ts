import type { SiteHandle } from '@x/testbed'

/**
 * ssh_config text naming the site's servers 'bastion', 'middle', 'inner' and 'dropbear'; each
 * entry's extra lines (e.g. a ProxyJump) come first, so they win.
 */
export function siteConfig(site: SiteHandle, extra: Partial<Record<'bastion' | 'middle' | 'inner' | 'dropbear', readonly string[]>> = {}): string {
  const entry = (alias: 'bastion' | 'middle' | 'inner' | 'dropbear', host: string, port: number): string[] => [
    `Host ${alias}`,
    ...(extra[alias] ?? []).map((line) => `  ${line}`),
    `  HostName ${host}`,
    `  Port ${port}`,
  ]
  return [
    ...entry('bastion', site.bastion.host, site.bastion.port),
    ...entry('middle', site.middle.host, site.middle.port),
    ...entry('inner', site.inner.host, site.inner.port),
    ...entry('dropbear', site.innerDropbear.host, site.innerDropbear.port),
    'Host *',
    `  User ${site.bastion.user}`,
    `  UserKnownHostsFile ${site.knownHostsFile}`,
    '  GlobalKnownHostsFile /dev/null',
    '  StrictHostKeyChecking yes',
    `  IdentityFile ${site.bastion.clientKeys.ed25519.privatePath}`,
    '  IdentitiesOnly yes',
    '',
  ].join('\n')
}
