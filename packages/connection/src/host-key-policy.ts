/**
 * Chooses the host-key verifier the way `ssh` does: StrictHostKeyChecking, UserKnownHostsFile,
 * GlobalKnownHostsFile and HashKnownHosts from ssh_config, overridden by explicit options. A
 * changed key is always refused, whatever the policy.
 * @internal
 */
import { homedir } from 'node:os'
import { ConfigError, insecureAcceptAnyHostKey, knownHosts, type HostKeyVerifier } from '@x/transport'
import { configFlag, configList, configString } from './config-values.js'
import type { ConnectionHostKeyOptions } from './connection-options.js'
import type { ResolvedSshConfig } from './ssh-config/index.js'

/** Expands a leading `~/` (ssh -G already expands most paths; explicit options may not be). */
function expandHome(path: string): string {
  return path === '~' ? homedir() : path.startsWith('~/') ? `${homedir()}${path.slice(1)}` : path
}

/** Builds the verifier for one host from options and ssh_config. */
export function hostKeyVerifierFor(config: ResolvedSshConfig, options: ConnectionHostKeyOptions): HostKeyVerifier {
  const policy = options.policy ?? policyFromConfig(config)
  if (typeof policy === 'function') return policy
  if (policy === 'off') return insecureAcceptAnyHostKey()
  const files = (options.knownHostsFiles ?? [
    ...configList(config, 'userknownhostsfile'),
    ...configList(config, 'globalknownhostsfile'),
  ]).map(expandHome)
  return knownHosts({ files, policy, hash: options.hash ?? configFlag(config, 'hashknownhosts') })
}

function policyFromConfig(config: ResolvedSshConfig): 'strict' | 'accept-new' {
  const value = (configString(config, 'stricthostkeychecking') ?? 'ask').toLowerCase()
  switch (value) {
    case 'yes':
    case 'true':
    case 'ask':
      // `ask` needs a person at a prompt; without one, OpenSSH's BatchMode answer is no.
      return 'strict'
    case 'accept-new':
    case 'no':
    case 'false':
    case 'off':
      // `no` would also accept a changed key in OpenSSH; we never accept a changed key.
      return 'accept-new'
    default:
      throw new ConfigError(`unsupported StrictHostKeyChecking value "${value}"`)
  }
}
