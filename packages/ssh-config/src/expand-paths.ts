/**
 * The expansion ssh applies to IdentityFile and CertificateFile when it loads them (ssh.c
 * `load_public_identity_files()`), which happens after `ssh -G` prints them, so a resolved
 * config keeps them as written.
 */
import os from 'node:os'
import { ConfigError } from '@x/transport'
import { currentUserInfo, passwdHome } from './passwd.js'
import { clientTokens, expand, expandTilde, ExpansionError } from './tokens.js'
import type { ResolvedSshConfig } from './types.js'

/** Local facts for the expansion; the same ones given to resolveSshConfig(). */
export interface ExpandSshConfigPathsOptions {
  readonly homeDir?: string | undefined
  readonly localUser?: string | undefined
  readonly localHostname?: string | undefined
}

/**
 * Expands the IdentityFile or CertificateFile paths of a resolved config as ssh does before
 * loading them: `~`, the `%` tokens (%C %d %h %i %k %L %l %n %p %r %u) and `${VAR}`; an
 * IdentityFile `none` is dropped.
 *
 * @throws ConfigError for an unknown token or an unset variable (ssh exits there too).
 * @example
 * ```ts
 * const files = expandSshConfigPaths(resolveSshConfig('web'), 'identityfile')
 * ```
 */
export function expandSshConfigPaths(config: ResolvedSshConfig, key: 'identityfile' | 'certificatefile',
  options: ExpandSshConfigPathsOptions = {}): string[] {
  const value = config[key]
  const paths = value === undefined ? [] : typeof value === 'string' ? [value] : [...value]
  const info = currentUserInfo()
  const homeDir = options.homeDir ?? info?.homedir ?? os.homedir()
  const str = (k: string): string => {
    const v = config[k]
    return typeof v === 'string' ? v : ''
  }
  const alias = config['hostkeyalias']
  const tokens = clientTokens({
    localHostname: options.localHostname ?? os.hostname(), host: str('hostname'), hostArg: str('host'),
    port: Number(str('port')), user: str('user'), localUser: options.localUser ?? info?.username ?? '', homeDir,
    uid: process.getuid?.() ?? 0, hostKeyAlias: typeof alias === 'string' ? alias : undefined,
  })
  return paths
    .filter((p) => key !== 'identityfile' || p.toLowerCase() !== 'none')
    .map((p) => {
      try {
        return expand(expandTilde(p, homeDir, passwdHome), tokens, process.env)
      } catch (err) {
        if (err instanceof ExpansionError) throw new ConfigError(`${key} "${p}": ${err.message}`, {}, { cause: err })
        throw err
      }
    })
}
