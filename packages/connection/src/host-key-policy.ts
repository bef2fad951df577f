/**
 * Chooses the host-key verifier the way `ssh` does: StrictHostKeyChecking, UserKnownHostsFile,
 * GlobalKnownHostsFile and HashKnownHosts from ssh_config, overridden by explicit options (both
 * weighed once, in the host's settings). A changed key is always refused, whatever the policy.
 * @internal
 */
import { homedir } from 'node:os'
import { ConfigError, HostKeyError, insecureAcceptAnyHostKey, knownHosts, type HostKeyTarget, type HostKeyVerifier, type PublicKey } from '@x/transport'
import type { HostKeySettings } from './host-settings.js'

/** Expands a leading `~/` (ssh -G already expands most paths; explicit options may not be). */
function expandHome(path: string): string {
  return path === '~' ? homedir() : path.startsWith('~/') ? `${homedir()}${path.slice(1)}` : path
}

/** The known_hosts files to read, `~` expanded. */
export function knownHostsFilesFrom(files: readonly string[]): string[] {
  return files.map(expandHome)
}

/** Builds the verifier for one host from its settings. */
export function hostKeyVerifierFor(settings: HostKeySettings): HostKeyVerifier {
  const { policy } = settings
  if (typeof policy === 'function') return policy
  if (policy === 'off') return insecureAcceptAnyHostKey()
  return knownHosts({ files: [...settings.knownHostsFiles], policy, hash: settings.hash })
}

/** Says, for debug lines, which host-key policy applies and over which files. */
export function describeHostKeyPolicy(settings: HostKeySettings): string {
  const { policy } = settings
  const from = settings.policyFromConfig ? ' (ssh_config StrictHostKeyChecking)' : ''
  if (typeof policy === 'function') {
    const pinned = (policy as { fingerprint?: unknown }).fingerprint
    return typeof pinned === 'string' ? `pinned to ${pinned}` : 'a verifier function'
  }
  if (policy === 'off') return "'off': any key is accepted (insecure)"
  return `'${policy}'${from} over ${settings.knownHostsFiles.join(', ') || 'no file'}`
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

/** StrictHostKeyChecking (as resolved) as a policy. @throws ConfigError for a value ssh does not know. */
export function hostKeyPolicyFromConfig(configured: string | undefined): 'strict' | 'accept-new' {
  const value = (configured ?? 'ask').toLowerCase()
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
