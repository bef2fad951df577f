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

type Option = keyof typeof supportedAlgorithms

/** The algorithm lists ssh_config changed from OpenSSH's defaults, by the Transport's option name, as written. */
export type ConfiguredAlgorithms = Readonly<Partial<Record<Option, { readonly keyword: string; readonly names: readonly string[] }>>>

const FAMILIES: ReadonlyArray<readonly [string, AlgorithmFamily, Option]> = [
  ['ciphers', CIPHERS, 'cipher'],
  ['macs', MACS, 'mac'],
  ['kexalgorithms', KEX, 'kex'],
  ['hostkeyalgorithms', KEY_TYPES, 'serverHostKey'],
]

/** Reads the algorithm lists this host's ssh_config changed (a list at OpenSSH's default is left out). */
export function changedAlgorithms(config: ResolvedSshConfig): ConfiguredAlgorithms {
  const out: Partial<Record<Option, { keyword: string; names: readonly string[] }>> = {}
  for (const [key, family, option] of FAMILIES) {
    const value = configString(config, key)
    if (value === undefined || value === family.defaults.join(',')) continue
    out[option] = { keyword: key, names: value.split(',') }
  }
  return out
}

/**
 * The Transport's `algorithms` option for the changed lists: each keeps its order, less what
 * this build cannot negotiate.
 * @throws ConfigError when a list names nothing this build supports (checked when the connection opens).
 */
export function transportAlgorithms(configured: ConfiguredAlgorithms): AlgorithmOptions {
  const out: Record<string, readonly string[]> = {}
  for (const [option, list] of Object.entries(configured) as Array<[Option, { keyword: string; names: readonly string[] }]>) {
    const supported = supportedAlgorithms[option]
    const usable = list.names.filter((name) => supported.includes(name))
    if (usable.length === 0) {
      throw new ConfigError(`ssh_config ${list.keyword} (${list.names.join(',')}) names no algorithm this library supports (${supported.join(', ')})`)
    }
    out[option] = usable
  }
  return out
}
