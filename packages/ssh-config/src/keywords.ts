/**
 * The client keyword table: OpenSSH 9.2's (readconf.c `keywords[]`, Debian build: GSSAPI and
 * PKCS#11 on, plus Debian's ProtocolKeepAlives/SetupTimeOut aliases), then the keywords OpenSSH
 * added up to 10.5 and those of Apple's ssh. Each keyword names the option it sets (the name
 * `ssh -G` prints) and how its arguments parse.
 */
import type { SshConfigWarningReason } from './types.js'


/** A multistate table: accepted words (case-insensitive) and their values; the first word with a value is how ssh -G prints it. */
export type Multistate = readonly (readonly [string, number])[]

/** Maps the words of a yes/no option to 1/0 (readconf.c `multistate_flag`). */
export const FLAG: Multistate = [['true', 1], ['false', 0], ['yes', 1], ['no', 0]]
const YES_NO_ASK: Multistate = [...FLAG, ['ask', 2]]
/** Maps AddKeysToAgent's words to their values (readconf.c `multistate_yesnoaskconfirm`). */
export const YES_NO_ASK_CONFIRM: Multistate = [...YES_NO_ASK, ['confirm', 3]]
const STRICT_HOST_KEY: Multistate = [['true', 2], ['false', 0], ['yes', 2], ['no', 0], ['ask', 3], ['off', 0], ['accept-new', 1]]
const ADDRESS_FAMILY: Multistate = [['inet', 4], ['inet6', 6], ['any', 0]]
const CONTROL_MASTER: Multistate = [['true', 1], ['yes', 1], ['false', 0], ['no', 0], ['auto', 2], ['ask', 3], ['autoask', 4]]
const TUNNEL: Multistate = [['ethernet', 2], ['point-to-point', 1], ['true', 1], ['yes', 1], ['false', 0], ['no', 0]]
const REQUEST_TTY: Multistate = [['true', 2], ['yes', 2], ['false', 1], ['no', 1], ['force', 3], ['auto', 0]]
const SESSION_TYPE: Multistate = [['none', 0], ['subsystem', 1], ['default', 2]]
const CANONICALIZE: Multistate = [['true', 1], ['false', 0], ['yes', 1], ['no', 0], ['always', 2]]
const PUBKEY_AUTH: Multistate = [['true', 3], ['false', 0], ['yes', 3], ['no', 0], ['unbound', 1], ['host-bound', 2]]
const COMPRESSION: Multistate = [['yes', 1], ['no', 0]]

/**
 * How a keyword's arguments parse. `special` ones have their own handler (keywords-*.ts, by what
 * their values are); `ignore` ones are skipped unparsed and reported with their `reason`.
 */
export type KeywordKind = 'flag' | 'multi' | 'int' | 'time' | 'string' | 'command' | 'ignore' | 'special'

/** One keyword: how it parses, which option it sets, and (for multistate) its table and whether ssh -G prints it by that table. */
export interface KeywordSpec {
  readonly kind: KeywordKind
  readonly key: string
  readonly table?: Multistate
  readonly printByTable?: boolean
  /** For `ignore`: why, as reported in the resolver's warnings. */
  readonly reason?: SshConfigWarningReason
}

const k = (kind: KeywordKind, key: string, table?: Multistate, printByTable = false): KeywordSpec => ({ kind, key, table, printByTable })
const ignored = (reason: SshConfigWarningReason): KeywordSpec => ({ kind: 'ignore', key: '', reason })
const IGNORE = ignored('obsolete')

/**
 * Every keyword ssh 9.2 knows, then the newer and vendor ones, lower-case. A newer or vendor
 * keyword is never fatal: Tag and RefuseConnection are honoured, the rest are skipped without
 * checking their arguments and reported.
 */
export const KEYWORDS: ReadonlyMap<string, KeywordSpec> = new Map<string, KeywordSpec>([
  // Deprecated (silently ignored) and unsupported (logged, ignored) options.
  ...['protocol', 'cipher', 'fallbacktorsh', 'globalknownhostsfile2', 'rhostsauthentication', 'useblacklistedkeys',
    'userknownhostsfile2', 'useroaming', 'usersh', 'useprivilegedport', 'afstokenpassing', 'kerberosauthentication',
    'kerberostgtpassing', 'rsaauthentication', 'rhostsrsaauthentication', 'compressionlevel'].map((n) => [n, IGNORE] as const),
  ['gssapiauthentication', k('flag', 'gssapiauthentication')],
  ['gssapikeyexchange', k('flag', 'gssapikeyexchange')],
  ['gssapidelegatecredentials', k('flag', 'gssapidelegatecredentials')],
  ['gssapitrustdns', k('flag', 'gssapitrustdns')],
  ['gssapiclientidentity', k('string', 'gssapiclientidentity')],
  ['gssapiserveridentity', k('string', 'gssapiserveridentity')],
  ['gssapirenewalforcesrekey', k('flag', 'gssapirenewalforcesrekey')],
  ['gssapikexalgorithms', k('special', 'gssapikexalgorithms')],
  ['pkcs11provider', k('string', 'pkcs11provider')],
  ['smartcarddevice', k('string', 'pkcs11provider')],
  ['forwardagent', k('special', 'forwardagent')],
  ['forwardx11', k('flag', 'forwardx11')],
  ['forwardx11trusted', k('flag', 'forwardx11trusted')],
  ['forwardx11timeout', k('time', 'forwardx11timeout')],
  ['exitonforwardfailure', k('flag', 'exitonforwardfailure')],
  ['xauthlocation', k('string', 'xauthlocation')],
  ['gatewayports', k('flag', 'gatewayports')],
  ['passwordauthentication', k('flag', 'passwordauthentication')],
  ['kbdinteractiveauthentication', k('flag', 'kbdinteractiveauthentication')],
  ['kbdinteractivedevices', k('string', 'kbdinteractivedevices')],
  ['challengeresponseauthentication', k('flag', 'kbdinteractiveauthentication')],
  ['skeyauthentication', k('flag', 'kbdinteractiveauthentication')],
  ['tisauthentication', k('flag', 'kbdinteractiveauthentication')],
  ['pubkeyauthentication', k('multi', 'pubkeyauthentication', PUBKEY_AUTH, true)],
  ['dsaauthentication', k('multi', 'pubkeyauthentication', PUBKEY_AUTH, true)],
  ['hostbasedauthentication', k('flag', 'hostbasedauthentication')],
  ['identityfile', k('special', 'identityfile')],
  ['identityfile2', k('special', 'identityfile')],
  ['identitiesonly', k('flag', 'identitiesonly')],
  ['certificatefile', k('special', 'certificatefile')],
  ['addkeystoagent', k('special', 'addkeystoagent')],
  ['identityagent', k('special', 'identityagent')],
  ['hostname', k('string', 'hostname')],
  ['hostkeyalias', k('string', 'hostkeyalias')],
  ['proxycommand', k('special', 'proxycommand')],
  ['port', k('special', 'port')],
  ['ciphers', k('special', 'ciphers')],
  ['macs', k('special', 'macs')],
  ['remoteforward', k('special', 'remoteforward')],
  ['localforward', k('special', 'localforward')],
  ['permitremoteopen', k('special', 'permitremoteopen')],
  ['user', k('string', 'user')],
  ['host', k('special', 'host')],
  ['match', k('special', 'match')],
  ['escapechar', k('special', 'escapechar')],
  ['globalknownhostsfile', k('special', 'globalknownhostsfile')],
  ['userknownhostsfile', k('special', 'userknownhostsfile')],
  ['connectionattempts', k('int', 'connectionattempts')],
  ['batchmode', k('flag', 'batchmode')],
  ['checkhostip', k('flag', 'checkhostip')],
  ['stricthostkeychecking', k('multi', 'stricthostkeychecking', STRICT_HOST_KEY, true)],
  ['compression', k('multi', 'compression', COMPRESSION)],
  ['tcpkeepalive', k('flag', 'tcpkeepalive')],
  ['keepalive', k('flag', 'tcpkeepalive')],
  ['numberofpasswordprompts', k('int', 'numberofpasswordprompts')],
  ['syslogfacility', k('special', 'syslogfacility')],
  ['loglevel', k('special', 'loglevel')],
  ['logverbose', k('special', 'logverbose')],
  ['dynamicforward', k('special', 'dynamicforward')],
  ['preferredauthentications', k('string', 'preferredauthentications')],
  ['hostkeyalgorithms', k('special', 'hostkeyalgorithms')],
  ['casignaturealgorithms', k('special', 'casignaturealgorithms')],
  ['bindaddress', k('string', 'bindaddress')],
  ['bindinterface', k('string', 'bindinterface')],
  ['clearallforwardings', k('flag', 'clearallforwardings')],
  ['enablesshkeysign', k('flag', 'enablesshkeysign')],
  ['verifyhostkeydns', k('multi', 'verifyhostkeydns', YES_NO_ASK, true)],
  ['nohostauthenticationforlocalhost', k('flag', 'nohostauthenticationforlocalhost')],
  ['rekeylimit', k('special', 'rekeylimit')],
  ['connecttimeout', k('time', 'connecttimeout')],
  ['addressfamily', k('multi', 'addressfamily', ADDRESS_FAMILY, true)],
  ['serveraliveinterval', k('time', 'serveraliveinterval')],
  ['serveralivecountmax', k('int', 'serveralivecountmax')],
  ['sendenv', k('special', 'sendenv')],
  ['setenv', k('special', 'setenv')],
  ['controlpath', k('string', 'controlpath')],
  ['controlmaster', k('multi', 'controlmaster', CONTROL_MASTER, true)],
  ['controlpersist', k('special', 'controlpersist')],
  ['hashknownhosts', k('flag', 'hashknownhosts')],
  ['include', k('special', 'include')],
  ['tunnel', k('multi', 'tunnel', TUNNEL, true)],
  ['tunneldevice', k('special', 'tunneldevice')],
  ['localcommand', k('command', 'localcommand')],
  ['permitlocalcommand', k('flag', 'permitlocalcommand')],
  ['remotecommand', k('command', 'remotecommand')],
  ['visualhostkey', k('flag', 'visualhostkey')],
  ['kexalgorithms', k('special', 'kexalgorithms')],
  ['ipqos', k('special', 'ipqos')],
  ['requesttty', k('multi', 'requesttty', REQUEST_TTY, true)],
  ['sessiontype', k('multi', 'sessiontype', SESSION_TYPE, true)],
  ['stdinnull', k('flag', 'stdinnull')],
  ['forkafterauthentication', k('flag', 'forkafterauthentication')],
  ['proxyusefdpass', k('flag', 'proxyusefdpass')],
  ['canonicaldomains', k('special', 'canonicaldomains')],
  ['canonicalizefallbacklocal', k('flag', 'canonicalizefallbacklocal')],
  ['canonicalizehostname', k('multi', 'canonicalizehostname', CANONICALIZE, true)],
  ['canonicalizemaxdots', k('int', 'canonicalizemaxdots')],
  ['canonicalizepermittedcnames', k('special', 'canonicalizepermittedcnames')],
  ['streamlocalbindmask', k('special', 'streamlocalbindmask')],
  ['streamlocalbindunlink', k('flag', 'streamlocalbindunlink')],
  ['revokedhostkeys', k('string', 'revokedhostkeys')],
  ['fingerprinthash', k('special', 'fingerprinthash')],
  ['updatehostkeys', k('multi', 'updatehostkeys', YES_NO_ASK, true)],
  ['hostbasedacceptedalgorithms', k('special', 'hostbasedacceptedalgorithms')],
  ['hostbasedkeytypes', k('special', 'hostbasedacceptedalgorithms')],
  ['pubkeyacceptedalgorithms', k('special', 'pubkeyacceptedalgorithms')],
  ['pubkeyacceptedkeytypes', k('special', 'pubkeyacceptedalgorithms')],
  ['ignoreunknown', k('string', 'ignoreunknown')],
  ['proxyjump', k('special', 'proxyjump')],
  ['securitykeyprovider', k('string', 'securitykeyprovider')],
  ['knownhostscommand', k('command', 'knownhostscommand')],
  ['requiredrsasize', k('int', 'requiredrsasize')],
  ['enableescapecommandline', k('flag', 'enableescapecommandline')],
  ['protocolkeepalives', k('time', 'serveraliveinterval')],
  ['setuptimeout', k('time', 'serveraliveinterval')],
  // OpenSSH 9.4 … 10.5 (readconf.c of V_10_5_P1).
  ['tag', k('string', 'tag')],
  ['refuseconnection', k('special', 'refuseconnection')],
  ...['obscurekeystroketiming', 'channeltimeout', 'versionaddendum', 'warnweakcrypto'].map((n) => [n, ignored('newer-openssh')] as const),
  // Apple's ssh (apple-oss-distributions/OpenSSH: __APPLE_KEYCHAIN__, __APPLE_NOHOSTAUTHPROXY__, __APPLE_NW_CONNECTION__).
  ...['usekeychain', 'nohostauthenticationforproxycommand', 'applemultipath'].map((n) => [n, ignored('vendor')] as const),
])
