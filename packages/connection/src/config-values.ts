/**
 * Typed reads of a resolved ssh_config (lower-case keywords as `ssh -G` prints them).
 * @internal
 */
import { ConfigError } from '@x/transport'
import type { ResolvedSshConfig } from '@x/ssh-config'

/** The single value of `key`, or undefined when unset or `none`. */
export function configString(config: ResolvedSshConfig, key: string): string | undefined {
  const value = config[key]
  const first = Array.isArray(value) ? value[0] : value
  if (first === undefined || first === '' || first.toLowerCase() === 'none') return undefined
  return first
}

/** Every value of a multi-valued `key` (IdentityFile, UserKnownHostsFile…), `none` removed. */
export function configList(config: ResolvedSshConfig, key: string): string[] {
  const value = config[key]
  const all = value === undefined ? [] : Array.isArray(value) ? [...value] : String(value).split(/\s+/)
  return all.filter((v) => v !== '' && v.toLowerCase() !== 'none')
}

/** Whether a yes/no `key` is yes. */
export function configFlag(config: ResolvedSshConfig, key: string): boolean {
  return configString(config, key)?.toLowerCase() === 'yes'
}

/** A non-negative integer `key` (seconds, counts), or undefined when unset or `none`. */
export function configNumber(config: ResolvedSshConfig, key: string): number | undefined {
  const value = configString(config, key)
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`ssh_config ${key} must be a non-negative integer, got "${value}"`)
  return n
}
