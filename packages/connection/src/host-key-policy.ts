/**
 * Chooses the host-key verifier the way `ssh` does: StrictHostKeyChecking, UserKnownHostsFile,
 * GlobalKnownHostsFile and HashKnownHosts from ssh_config, overridden by explicit options. A
 * changed key is always refused, whatever the policy.
 * @internal
 */
import { homedir } from 'node:os'
import { ConfigError, HostKeyError, insecureAcceptAnyHostKey, knownHosts, type HostKeyTarget, type HostKeyVerifier, type PublicKey } from '@x/transport'
import { configFlag, configList, configString } from './config-values.js'
import type { ConnectionHostKeyOptions } from './connection-options.js'
import type { ResolvedSshConfig } from '@x/ssh-config'

/** Expands a leading `~/` (ssh -G already expands most paths; explicit options may not be). */
function expandHome(path: string): string {
  return path === '~' ? homedir() : path.startsWith('~/') ? `${homedir()}${path.slice(1)}` : path
}

/** Builds the verifier for one host from options and ssh_config. */
export function hostKeyVerifierFor(config: ResolvedSshConfig, options: ConnectionHostKeyOptions): HostKeyVerifier {
  const policy = options.policy ?? policyFromConfig(config)
  if (typeof policy === 'function') return policy
  if (policy === 'off') return insecureAcceptAnyHostKey()
  return knownHosts({ files: knownHostsFilesFor(config, options), policy, hash: options.hash ?? configFlag(config, 'hashknownhosts') })
}

/** Says, for debug lines, which host-key policy applies and over which files. */
export function describeHostKeyPolicy(config: ResolvedSshConfig, options: ConnectionHostKeyOptions): string {
  const policy = options.policy ?? policyFromConfig(config)
  const from = options.policy === undefined ? ' (ssh_config StrictHostKeyChecking)' : ''
  if (typeof policy === 'function') {
    const pinned = (policy as { fingerprint?: unknown }).fingerprint
    return typeof pinned === 'string' ? `pinned to ${pinned}` : 'a verifier function'
  }
  if (policy === 'off') return "'off': any key is accepted (insecure)"
  return `'${policy}'${from} over ${knownHostsFilesFor(config, options).join(', ') || 'no file'}`
}

/**
 * Wraps `verifier` so that its verdict on each key is told to `log` (accepted, or why not),
 * keeping its `preferredAlgorithms`.
 */
export function loggingVerifier(verifier: HostKeyVerifier, log: (line: string) => void): HostKeyVerifier {
  const logged = async (key: PublicKey, target: HostKeyTarget): Promise<boolean> => {
    const what = `host key ${key.type} ${key.fingerprint} of ${target.hostname}:${target.port}`
    try {
      const ok = await verifier(key, target)
      log(`${what}: ${ok === true ? 'accepted' : 'rejected by the verifier'}`)
      return ok
    } catch (err) {
      log(`${what}: refused (${err instanceof HostKeyError ? err.reason : 'the verifier threw'})`)
      throw err
    }
  }
  const preferred = verifier.preferredAlgorithms
  return preferred ? Object.assign(logged, { preferredAlgorithms: (h: string, p: number) => preferred.call(verifier, h, p) }) : logged
}

function knownHostsFilesFor(config: ResolvedSshConfig, options: ConnectionHostKeyOptions): string[] {
  return (options.knownHostsFiles ?? [
    ...configList(config, 'userknownhostsfile'),
    ...configList(config, 'globalknownhostsfile'),
  ]).map(expandHome)
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
