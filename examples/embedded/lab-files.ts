/** The client side of the lab: the ssh_config, known_hosts and key files a user of it would have. */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { LabKeyPair } from './keys.js'

/** Paths of the files {@link writeClientFiles} wrote. */
export interface LabClientFiles {
  readonly configFile: string
  readonly knownHostsFile: string
  /** known_hosts from "before inner.lab was reinstalled": the wrong key for inner.lab. */
  readonly staleKnownHostsFile: string
  readonly keyFile: string
}

/** What the files describe. */
export interface LabLayout {
  readonly user: string
  readonly clientKey: LabKeyPair
  readonly bastion: { readonly port: number; readonly hostKey: string }
  readonly inner: { readonly hostKey: string }
  readonly mfa: { readonly port: number; readonly hostKey: string } | undefined
  /** Some other key, for the stale known_hosts. */
  readonly oldInnerKey: string
}

/** Writes ssh_config, known_hosts (current and stale) and the client key into `dir`. */
export async function writeClientFiles(dir: string, lab: LabLayout): Promise<LabClientFiles> {
  const files = {
    configFile: join(dir, 'ssh_config'),
    knownHostsFile: join(dir, 'known_hosts'),
    staleKnownHostsFile: join(dir, 'known_hosts.stale'),
    keyFile: join(dir, 'id_ed25519'),
  }
  await writeFile(files.keyFile, lab.clientKey.privateKey, { mode: 0o600 })
  await writeFile(`${files.keyFile}.pub`, `${lab.clientKey.publicLine} ${lab.user}@lab\n`)
  const mfaHost = lab.mfa ? ['Host mfa', '  HostName 127.0.0.1', `  Port ${lab.mfa.port}`, ''] : []
  await writeFile(files.configFile, [
    '# The embedded lab (examples/embedded/lab.ts), written for this run only.',
    'Host bastion',
    '  HostName 127.0.0.1',
    `  Port ${lab.bastion.port}`,
    '',
    '# inner.lab has no TCP port: only the bastion can reach it.',
    'Host inner',
    '  HostName inner.lab',
    '  ProxyJump bastion',
    '',
    ...mfaHost,
    'Host *',
    `  User ${lab.user}`,
    `  IdentityFile ${files.keyFile}`,
    '  IdentitiesOnly yes',
    `  UserKnownHostsFile ${files.knownHostsFile}`,
    '  GlobalKnownHostsFile /dev/null',
    '  StrictHostKeyChecking yes',
    '  BatchMode yes',
    '',
  ].join('\n'), { mode: 0o600 })
  const known = [
    `[127.0.0.1]:${lab.bastion.port} ${lab.bastion.hostKey}`,
    `inner.lab ${lab.inner.hostKey}`,
    ...(lab.mfa ? [`[127.0.0.1]:${lab.mfa.port} ${lab.mfa.hostKey}`] : []),
  ]
  await writeFile(files.knownHostsFile, `${known.join('\n')}\n`)
  await writeFile(files.staleKnownHostsFile, `${known[0]}\ninner.lab ${lab.oldInnerKey}\n`)
  return files
}
