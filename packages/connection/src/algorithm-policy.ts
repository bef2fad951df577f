/**
 * Turns ssh_config's Ciphers, MACs, KexAlgorithms and HostKeyAlgorithms into the Transport's
 * algorithm preferences. A list left at OpenSSH's default keeps the protocol library's own order
 * (the two differ only in order and in algorithms one side lacks); a list the config changed is
 * kept in its order, less what this build cannot negotiate.
 * @internal
 */
import { ConfigError, supportedAlgorithms, type AlgorithmOptions } from '@x/transport'
import { configString } from './config-values.js'
import { CIPHERS, KEX, KEY_TYPES, MACS, type AlgorithmFamily, type ResolvedSshConfig } from '@x/ssh-config'

const FAMILIES: ReadonlyArray<readonly [string, AlgorithmFamily, keyof typeof supportedAlgorithms]> = [
  ['ciphers', CIPHERS, 'cipher'],
  ['macs', MACS, 'mac'],
  ['kexalgorithms', KEX, 'kex'],
  ['hostkeyalgorithms', KEY_TYPES, 'serverHostKey'],
]

/** The Transport's `algorithms` option for this host's ssh_config. */
export function algorithmsFromConfig(config: ResolvedSshConfig): AlgorithmOptions {
  const out: Record<string, readonly string[]> = {}
  for (const [key, family, option] of FAMILIES) {
    const value = configString(config, key)
    if (value === undefined || value === family.defaults.join(',')) continue
    const supported = supportedAlgorithms[option]
    const usable = value.split(',').filter((name) => supported.includes(name))
    if (usable.length === 0) {
      throw new ConfigError(`ssh_config ${key} (${value}) names no algorithm this library supports (${supported.join(', ')})`)
    }
    out[option] = usable
  }
  return out
}
