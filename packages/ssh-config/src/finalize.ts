/**
 * Turns the collected options into what `ssh -G` prints: OpenSSH 9.2's defaults, the checks and
 * token expansions ssh.c makes before dumping, and `dump_client_config()`'s formats.
 */
import { ConfigError } from '@x/transport'
import { assembleAlgorithms, CA_SIGS, CIPHERS, DEFAULT_GSS_KEX, KEX, KEY_TYPES, MACS, type AlgorithmFamily } from './algorithms.js'
import { formatEscapeChar, formatFlag, PRINTED_FLAGS, PRINTED_INTS, SCALAR_DEFAULTS } from './defaults.js'
import { formatForward, PORT_STREAMLOCAL } from './forward-spec.js'
import { formatJump } from './proxy-jump.js'
import type { LocalInfo } from './line-context.js'
import type { Forward, OptionState } from './option-state.js'
import { LOG_LEVELS } from './keywords-names-domains.js'
import { IPQOS } from './keywords-numbers-times.js'
import { clientTokens, expand, expandTilde, ExpansionError, type TokenMap } from './tokens.js'
import type { ResolvedSshConfig } from './types.js'

const DEFAULT_IDENTITIES = ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk', 'id_xmss', 'id_dsa'].map((f) => `~/.ssh/${f}`)

function fail(message: string, cause?: unknown): ConfigError {
  return new ConfigError(message, {}, { cause })
}

function tryExpand(what: string, s: string, tokens: TokenMap | undefined, env?: NodeJS.ProcessEnv): string {
  try {
    return expand(s, tokens, env)
  } catch (err) {
    if (err instanceof ExpansionError) throw fail(`${what} "${s}": ${err.message}`, err)
    throw err
  }
}

function assemble(family: AlgorithmFamily, key: string, spec: string | undefined): string {
  const list = assembleAlgorithms(family, spec)
  if (list === undefined) throw fail(`${key} "${spec ?? ''}" leaves no usable algorithm`)
  return list
}

/** Builds the resolved config for `hostArg`, whose final host name is `host`. */
export function finalizeOptions(opts: OptionState, hostArg: string, host: string, local: LocalInfo): ResolvedSshConfig {
  const v = (key: string): string | number | undefined => opts.scalars.get(key) ?? SCALAR_DEFAULTS[key]
  const none = (key: string): void => {
    const s = opts.str(key)
    if (s !== undefined && s.toLowerCase() === 'none') opts.scalars.delete(key)
  }
  // fill_default_options()
  if (v('clearallforwardings') === 1) opts.localForwards.length = opts.remoteForwards.length = 0
  if (opts.identityFiles.length === 0) for (const p of DEFAULT_IDENTITIES) opts.identityFiles.push({ path: p, user: false })
  const system = opts.systemHostfiles ?? ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2']
  const userFiles = opts.userHostfiles
  opts.setOnce('updatehostkeys', (v('verifyhostkeydns') as number) <= 0 &&
    (userFiles === undefined || (userFiles.length === 1 && userFiles[0] === '~/.ssh/known_hosts')) ? 1 : 0)
  const userHostfiles = userFiles ?? ['~/.ssh/known_hosts', '~/.ssh/known_hosts2']
  opts.setOnce('serveraliveinterval', v('batchmode') === 1 ? 300 : 0)
  const ciphers = assemble(CIPHERS, 'Ciphers', opts.str('ciphers'))
  const macs = assemble(MACS, 'MACs', opts.str('macs'))
  const kex = assemble(KEX, 'KexAlgorithms', opts.str('kexalgorithms'))
  const hostbased = assemble(KEY_TYPES, 'HostbasedAcceptedAlgorithms', opts.str('hostbasedacceptedalgorithms'))
  const pubkey = assemble(KEY_TYPES, 'PubkeyAcceptedAlgorithms', opts.str('pubkeyacceptedalgorithms'))
  const caSigs = assemble(CA_SIGS, 'CASignatureAlgorithms', opts.str('casignaturealgorithms'))
  const skProvider = opts.str('securitykeyprovider') ?? 'internal'
  for (const key of ['localcommand', 'remotecommand', 'controlpath', 'revokedhostkeys', 'pkcs11provider', 'knownhostscommand']) none(key)
  let proxyCommand = opts.proxyCommand?.toLowerCase() === 'none' ? undefined : opts.proxyCommand
  const jump = opts.jump === 'none' ? undefined : opts.jump
  // ssh.c main(), between fill_default_options() and the dump.
  const user = opts.str('user') ?? local.localUser
  const port = opts.num('port') ?? 22
  if (jump !== undefined) {
    if (jump.host === host && port === (jump.port <= 0 ? 22 : jump.port) && user === (jump.user ?? user)) {
      throw fail(`jumphost loop via ${jump.host}`)
    }
    if (proxyCommand !== undefined) throw fail('inconsistent options: ProxyCommand+ProxyJump')
    opts.scalars.set('proxyusefdpass', 0)
    proxyCommand = undefined
  }
  const alias = opts.str('hostkeyalias')?.replace(/[A-Z]+/g, (m) => m.toLowerCase())
  if (alias !== undefined) opts.scalars.set('hostkeyalias', alias)
  if (proxyCommand === '-' && v('proxyusefdpass') === 1) throw fail('ProxyCommand=- and ProxyUseFDPass are incompatible')
  if (v('updatehostkeys') === 2) {
    const persist = opts.controlPersist?.value ?? 0
    if ((persist !== 0 && opts.str('controlpath') !== undefined) || opts.str('remotecommand') !== undefined || v('requesttty') === 1 || (v('loglevel') as number) < 3) {
      opts.scalars.set('updatehostkeys', 0)
    }
  }
  if ((v('connectionattempts') as number) <= 0) throw fail('Invalid number of ConnectionAttempts')
  if (v('forkafterauthentication') === 1 && opts.str('remotecommand') === undefined && v('sessiontype') !== 0) {
    throw fail('Cannot fork into background without a command to execute.')
  }
  const tokens = clientTokens({ localHostname: local.localHostname, host, hostArg, port, user, localUser: local.localUser, homeDir: local.homeDir, uid: local.uid, hostKeyAlias: alias })
  const tilde = (p: string): string => {
    try {
      return expandTilde(p, local.homeDir, local.userHome)
    } catch (err) {
      throw fail(`cannot expand "${p}"`, err)
    }
  }
  const remoteCommand = opts.str('remotecommand')
  if (remoteCommand !== undefined) opts.scalars.set('remotecommand', tryExpand('RemoteCommand', remoteCommand, tokens))
  const controlPath = opts.str('controlpath')
  if (controlPath !== undefined) opts.scalars.set('controlpath', tryExpand('ControlPath', tilde(controlPath), tokens, local.env))
  const agent = opts.str('identityagent')
  if (agent !== undefined) opts.scalars.set('identityagent', tryExpand('IdentityAgent', tilde(agent), tokens, local.env))
  const agentPath = opts.forwardAgentPath === undefined ? undefined : tryExpand('ForwardAgent', tilde(opts.forwardAgentPath), tokens, local.env)
  const sys = system[0]?.toLowerCase() === 'none' ? [] : system
  const usr = userHostfiles[0]?.toLowerCase() === 'none' ? [] : userHostfiles.map((f) => tryExpand('UserKnownHostsFile', tilde(f), tokens, local.env))
  const fwdPaths = (f: Forward): Forward => ({
    ...f,
    listenPath: f.listenPath === undefined ? undefined : tryExpand('forward path', f.listenPath, tokens),
    connectPath: f.connectPath === undefined ? undefined : tryExpand('forward path', f.connectPath, tokens),
  })
  const local_ = opts.localForwards.map(fwdPaths)
  const remote = opts.remoteForwards.map(fwdPaths)

  // dump_client_config()
  const out: Record<string, string | readonly string[]> = { host: hostArg, user, hostname: host, port: String(port) }
  for (const key of PRINTED_FLAGS) out[key] = formatFlag(key, v(key) ?? 0)
  for (const key of ['gssapiclientidentity', 'gssapiserveridentity']) {
    const value = opts.str(key)
    if (value !== undefined) out[key] = value
  }
  out['gssapikexalgorithms'] = opts.str('gssapikexalgorithms') ?? DEFAULT_GSS_KEX
  for (const key of PRINTED_INTS) out[key] = String(v(key))
  const strings: [string, string | undefined][] = [
    ['bindaddress', opts.str('bindaddress')], ['bindinterface', opts.str('bindinterface')], ['ciphers', ciphers],
    ['controlpath', opts.str('controlpath')],
    ['hostkeyalgorithms', assemble(KEY_TYPES, 'HostKeyAlgorithms', opts.str('hostkeyalgorithms'))],
    ['hostkeyalias', alias], ['hostbasedacceptedalgorithms', hostbased], ['identityagent', opts.str('identityagent')],
    ['ignoreunknown', opts.str('ignoreunknown')], ['kbdinteractivedevices', opts.str('kbdinteractivedevices')],
    ['kexalgorithms', kex], ['casignaturealgorithms', caSigs], ['localcommand', opts.str('localcommand')],
    ['remotecommand', opts.str('remotecommand')],
    ['loglevel', LOG_LEVELS.find(([, n]) => n === v('loglevel'))?.[0]], ['macs', macs],
    ['pkcs11provider', opts.str('pkcs11provider')], ['securitykeyprovider', skProvider.toLowerCase() === 'none' ? undefined : skProvider],
    ['preferredauthentications', opts.str('preferredauthentications')], ['pubkeyacceptedalgorithms', pubkey],
    ['revokedhostkeys', opts.str('revokedhostkeys')], ['xauthlocation', String(v('xauthlocation'))],
    ['knownhostscommand', opts.str('knownhostscommand')],
    // OpenSSH 9.4+ prints Tag when set; 9.2 refuses the keyword, so parity with it is unaffected.
    ['tag', opts.str('tag')],
  ]
  for (const [key, value] of strings) if (value !== undefined) out[key] = value
  // dump_cfg_forwards() prints a forward whose connect side is a path under both keywords.
  const dyn = local_.filter((f) => f.connectHost === undefined || f.connectHost === 'socks').map((f) => formatForward(f, true))
  const lf = local_.filter((f) => f.connectHost !== 'socks').map((f) => formatForward(f, false))
  const rf = remote.map((f) => formatForward(f, false))
  if (dyn.length > 0) out['dynamicforward'] = dyn
  if (lf.length > 0) out['localforward'] = lf
  if (rf.length > 0) out['remoteforward'] = rf
  out['identityfile'] = opts.identityFiles.map((e) => e.path)
  out['canonicaldomains'] = opts.canonicalDomains?.length ? opts.canonicalDomains : ['none']
  if (opts.certificateFiles.length > 0) out['certificatefile'] = opts.certificateFiles.map((e) => e.path)
  out['globalknownhostsfile'] = sys.length > 0 ? sys : ['none']
  out['userknownhostsfile'] = usr.length > 0 ? usr : ['none']
  if (opts.sendEnv.length > 0) out['sendenv'] = [...opts.sendEnv]
  if (opts.setEnv.length > 0) out['setenv'] = [...opts.setEnv]
  out['logverbose'] = opts.logVerbose?.length ? opts.logVerbose : ['none']
  out['permitremoteopen'] = opts.permitRemoteOpen?.length ? opts.permitRemoteOpen : ['any']
  const ak = opts.addKeysToAgent ?? { value: 0, lifespan: 0 }
  out['addkeystoagent'] = ak.lifespan <= 0 ? (['false', 'true', 'ask', 'confirm'][ak.value] ?? 'UNKNOWN') : `${ak.value === 3 ? 'confirm ' : ''}${ak.lifespan}`
  out['forwardagent'] = agentPath ?? formatFlag('forwardagent', v('forwardagent') ?? 0)
  out['connecttimeout'] = opts.num('connecttimeout') === undefined ? 'none' : String(opts.num('connecttimeout'))
  const tun = opts.tunnelDevice ?? { local: 0x7fffffff, remote: 0x7fffffff }
  out['tunneldevice'] = `${tun.local === 0x7fffffff ? 'any' : tun.local}:${tun.remote === 0x7fffffff ? 'any' : tun.remote}`
  const cnames = (opts.permittedCnames ?? []).filter(([src, dst], _, all) => !(all.length === 1 && src.toLowerCase() === 'none' && dst === ''))
  // ssh -G really prints this keyword with a capital P.
  out['canonicalizePermittedcnames'] = cnames.length === 0 ? 'none' : cnames.map(([src, dst]) => `${src}:${dst}`).join(' ')
  const cp = opts.controlPersist ?? { value: 0, timeout: 0 }
  out['controlpersist'] = cp.value === 0 || cp.timeout === 0 ? formatFlag('controlpersist', cp.value) : String(cp.timeout)
  out['escapechar'] = formatEscapeChar(v('escapechar') as number)
  const qos = opts.ipqos ?? { interactive: 0x10, bulk: 0x08 }
  const tos = (n: number): string => IPQOS.find(([, x]) => x === n)?.[0] ?? `0x${n.toString(16).padStart(2, '0')}`
  out['ipqos'] = `${tos(qos.interactive)} ${tos(qos.bulk)}`
  out['rekeylimit'] = `${String(v('rekeylimit'))} ${opts.rekeyInterval ?? 0}`
  out['streamlocalbindmask'] = `0${(opts.streamLocalBindMask ?? 0o177).toString(8)}`
  out['syslogfacility'] = opts.syslogFacility ?? 'USER'
  if (jump !== undefined) out['proxyjump'] = formatJump(jump)
  else if (proxyCommand !== undefined) out['proxycommand'] = proxyCommand
  return Object.freeze(out)
}
