/**
 * resolveSshConfig(): what `ssh -G` prints for a host, computed the way OpenSSH 9.2's ssh.c does
 * it — first pass over the files, HostName and address canonicalisation, a final pass when a
 * `Match final` (or CanonicalizeHostname) asks for one, then defaults and token expansion.
 * Synchronous and without network: no DNS, no sockets.
 */
import os from 'node:os'
import { asciiLower, ConfigError } from '@x/transport'
import { finalizeOptions } from './finalize.js'
import { canonicalAddress, isAddress, looksLikeAddress } from './host-address.js'
import type { LocalInfo, PassState } from './line-context.js'
import { OptionState } from './option-state.js'
import { currentUserInfo, passwdHome } from './passwd.js'
import { readConfigFile, readConfigText, type ReaderState } from './read-config.js'
import { expand, ExpansionError } from './tokens.js'
import type { ResolvedSshConfig, ResolveSshConfigOptions, SshConfigWarning } from './types.js'

/** ssh.c's check on a host name from the command line (CVE-2023-51385). */
function validHostname(s: string): boolean {
  return !s.startsWith('-') && !/['`"$\\;&<>|(){},\s\p{Cc}]/u.test(s)
}

/** ssh.c `ssh_valid_ruser()`. */
function validUser(s: string): boolean {
  return !s.startsWith('-') && !/[\p{Cc}'`";&<>|(){}]/u.test(s) && !/\s-/.test(s) && !s.endsWith('\\')
}

function localInfo(options: ResolveSshConfigOptions): LocalInfo {
  const info = currentUserInfo()
  const homeDir = options.homeDir ?? info?.homedir ?? os.homedir()
  return {
    homeDir,
    includeHome: options.homeDir ?? process.env['HOME'] ?? homeDir,
    localUser: options.localUser ?? info?.username ?? '',
    localHostname: options.localHostname ?? os.hostname(),
    uid: process.getuid?.() ?? 0,
    env: process.env,
    allowMatchExec: options.allowMatchExec === true,
    systemConfigPath: options.systemConfigPath ?? '/etc/ssh/ssh_config',
    userHome: passwdHome,
    warn: warningSink(options),
  }
}

/** Passes each warning on once (a final pass reads the same lines again). */
function warningSink(options: ResolveSshConfigOptions): (warning: SshConfigWarning) => void {
  const seen = new Set<string>()
  return (warning) => {
    const key = `${warning.file}\0${warning.line}`
    if (seen.has(key)) return
    seen.add(key)
    options.debug?.(`ssh_config: ${warning.file} line ${warning.line}: ignoring ${warning.keyword} (${warning.reason})`)
    options.onWarning?.(Object.freeze({ ...warning }))
  }
}

function readAll(state: ReaderState, options: ResolveSshConfigOptions): void {
  const source = options.config
  const { local } = state.pass
  const userFlags = { user: true, checkPerm: false, neverMatch: false }
  if (source === false || (typeof source === 'string' && source.toLowerCase() === 'none')) return
  if (source === undefined) {
    readConfigFile(state, `${local.homeDir}/.ssh/config`, { ...userFlags, checkPerm: true }, { value: true }, 0)
    readConfigFile(state, local.systemConfigPath, { user: false, checkPerm: false, neverMatch: false }, { value: true }, 0)
    return
  }
  if (typeof source === 'string' || Array.isArray(source)) {
    for (const path of typeof source === 'string' ? [source] : source) {
      if (!readConfigFile(state, path, userFlags, { value: true }, 0)) {
        throw new ConfigError(`Can't open user config file ${path}: No such file or directory`, { file: path })
      }
    }
    return
  }
  const { text, path } = source as { text: string; path?: string }
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  readConfigText(state, path ?? '<ssh_config text>', lines, userFlags, { value: true }, 0, path === undefined ? [] : [path])
}

/**
 * Resolves the ssh_config options for `host` exactly as OpenSSH 9.2's `ssh -G` prints them:
 * first obtained value wins, Host/Match blocks, Include, tokens, `none`, defaults. Fabric's
 * `Connection.ssh_config`; paramiko's `SSHConfig.lookup()` done the OpenSSH way.
 *
 * Differences from ssh, all refusals rather than guesses: `Match exec` needs allowMatchExec; a
 * config that would make ssh query DNS for hostname canonicalisation is refused; non-regular
 * files (FIFO, directory, device; /dev/null reads as empty), files over 1 MiB and NUL bytes are
 * refused; an Include loop fails at once instead of at depth 17.
 *
 * Newer than 9.2: keywords of OpenSSH up to 10.5 and of Apple's ssh are accepted (Tag feeds
 * `Match tagged`; RefuseConnection refuses as ssh does; the others are ignored and reported
 * through `onWarning` and `debug`); `Match tagged` and `attribute=value` are understood.
 *
 * @throws ConfigError with `file` and 1-based `line` for what ssh would refuse (RefuseConnection
 *   in a block that applies included), or for the above.
 * @throws RangeError for a port outside 1…65535.
 * @example
 * ```ts
 * const c = resolveSshConfig('db', { user: 'deploy' })
 * c.hostname; c.port; c.identityfile // string, string, string[]
 * ```
 */
export function resolveSshConfig(host: string, options: ResolveSshConfigOptions = {}): ResolvedSshConfig {
  if (typeof host !== 'string' || host === '') throw new TypeError('host must be a non-empty string')
  if (!validHostname(host)) throw new ConfigError(`hostname contains invalid characters: ${JSON.stringify(host)}`)
  if (options.user !== undefined && (options.user === '' || !validUser(options.user))) {
    throw new ConfigError(`remote username contains invalid characters: ${JSON.stringify(options.user)}`)
  }
  if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535)) {
    throw new RangeError(`port must be an integer in 1…65535, got ${String(options.port)}`)
  }
  for (const hook of ['onWarning', 'debug'] as const) {
    if (options[hook] !== undefined && typeof options[hook] !== 'function') throw new TypeError(`${hook} must be a function`)
  }
  const local = localInfo(options)
  const opts = new OptionState()
  if (options.user !== undefined) opts.setOnce('user', options.user)
  if (options.port !== undefined) opts.setOnce('port', options.port)
  const cache = new Map<string, readonly string[]>()
  const budget = { bytes: 0 }
  // A ConfigError's not-yet-formatted stack keeps the reader's closures, and through them this
  // cache (every line read, up to the byte budget: ~9 MiB of strings), alive as long as the
  // error lives: empty it whatever happens.
  try {
    const first: PassState = { opts, local, host, originalHost: host, final: false, wantFinal: false }
    readAll({ pass: first, cache, budget }, options)

    let name = host
    const hostname = opts.str('hostname')
    if (hostname !== undefined) {
      try {
        name = expand(hostname, { h: host })
      } catch (err) {
        if (err instanceof ExpansionError) throw new ConfigError(`HostName "${hostname}": ${err.message}`, {}, { cause: err })
        throw err
      }
      opts.scalars.set('hostname', name)
    }
    const family = opts.num('addressfamily') ?? 0
    const wasAddress = isAddress(name, family)
    if (!wasAddress) name = asciiLower(name)
    const canonicalize = opts.num('canonicalizehostname') ?? 0
    if (wasAddress) {
      // ssh keeps the name when the canonical form differs only in case.
      const canonical = canonicalAddress(name, family)
      if (canonical !== undefined && canonical !== asciiLower(name)) name = canonical
    }
    else refuseDnsCanonicalization(opts, name, canonicalize)
    if (canonicalize !== 0 || first.wantFinal === true) {
      opts.scalars.set('hostname', name)
      readAll({ pass: { opts, local, host: name, originalHost: host, final: true, wantFinal: null }, cache, budget }, options)
    }
    return finalizeOptions(opts, host, name, local)
  } finally {
    cache.clear()
  }
}

function direct(opts: OptionState): boolean {
  return (opts.proxyCommand === undefined || opts.proxyCommand.toLowerCase() === 'none') && opts.jump === undefined
}

function refuseDns(what: string): never {
  throw new ConfigError(`${what} would make ssh look the host name up in DNS; resolveSshConfig never does network I/O`)
}

/**
 * ssh.c `resolve_canonicalize()` and the CNAME step after it, for names: refuse exactly where ssh
 * would ask DNS (a name behind a proxy is left alone unless CanonicalizeHostname is `always`).
 */
function refuseDnsCanonicalization(opts: OptionState, name: string, mode: number): void {
  if (looksLikeAddress(name)) return
  const mayResolve = direct(opts) || mode === 2
  if (mode !== 0 && mayResolve) {
    if (name.endsWith('.')) refuseDns('CanonicalizeHostname')
    const dots = name.split('.').length - 1
    if (dots <= (opts.num('canonicalizemaxdots') ?? 1)) {
      const domains = opts.canonicalDomains ?? []
      if (domains.length > 0 && domains[0]?.toLowerCase() !== 'none') refuseDns('CanonicalizeHostname with CanonicalDomains')
      if ((opts.num('canonicalizefallbacklocal') ?? 1) === 0) throw new ConfigError(`Could not resolve host "${name}" (CanonicalizeFallbackLocal no)`)
    }
  }
  const cnames = opts.permittedCnames ?? []
  const hasCnames = cnames.length > 0 && !(cnames.length === 1 && cnames[0]?.[0].toLowerCase() === 'none' && cnames[0][1] === '')
  if (hasCnames && mayResolve) refuseDns('CanonicalizePermittedCNAMEs')
}
