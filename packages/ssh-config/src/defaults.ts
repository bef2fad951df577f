/**
 * OpenSSH 9.2's defaults (readconf.c `fill_default_options()`, Debian build) for the options
 * that print as a single word or number, and how ssh -G formats each of them.
 */
import { KEYWORDS, type Multistate } from './keywords.js'

/** Default values of the single-valued options, as stored (numbers for flags and multistates). */
export const SCALAR_DEFAULTS: Readonly<Record<string, string | number>> = {
  forwardagent: 0, forwardx11: 0, forwardx11trusted: 1, forwardx11timeout: 1200, exitonforwardfailure: 0,
  clearallforwardings: 0, xauthlocation: '/usr/bin/xauth', gatewayports: 0, streamlocalbindunlink: 0,
  pubkeyauthentication: 3, gssapiauthentication: 0, gssapikeyexchange: 0, gssapidelegatecredentials: 0,
  gssapitrustdns: 0, gssapirenewalforcesrekey: 0, passwordauthentication: 1, kbdinteractiveauthentication: 1,
  hostbasedauthentication: 0, batchmode: 0, checkhostip: 0, stricthostkeychecking: 3, compression: 0,
  tcpkeepalive: 1, addressfamily: 0, connectionattempts: 1, numberofpasswordprompts: 3,
  nohostauthenticationforlocalhost: 0, identitiesonly: 0, enablesshkeysign: 0, rekeylimit: '0',
  verifyhostkeydns: 0, serveralivecountmax: 3, controlmaster: 0, hashknownhosts: 0, tunnel: 0,
  permitlocalcommand: 0, visualhostkey: 0, requesttty: 0, sessiontype: 2, stdinnull: 0,
  forkafterauthentication: 0, proxyusefdpass: 0, canonicalizemaxdots: 1, canonicalizefallbacklocal: 1,
  canonicalizehostname: 0, fingerprinthash: 'SHA256', securitykeyprovider: 'internal', requiredrsasize: 1024,
  enableescapecommandline: 0, escapechar: 126, loglevel: 3,
}

/** Flag and multistate options in the order ssh -G prints them. */
export const PRINTED_FLAGS: readonly string[] = [
  'addressfamily', 'batchmode', 'canonicalizefallbacklocal', 'canonicalizehostname', 'checkhostip', 'compression',
  'controlmaster', 'enablesshkeysign', 'clearallforwardings', 'exitonforwardfailure', 'fingerprinthash', 'forwardx11',
  'forwardx11trusted', 'gatewayports', 'gssapiauthentication', 'gssapikeyexchange', 'gssapidelegatecredentials',
  'gssapitrustdns', 'gssapirenewalforcesrekey', 'hashknownhosts', 'hostbasedauthentication', 'identitiesonly',
  'kbdinteractiveauthentication', 'nohostauthenticationforlocalhost', 'passwordauthentication', 'permitlocalcommand',
  'proxyusefdpass', 'pubkeyauthentication', 'requesttty', 'sessiontype', 'stdinnull', 'forkafterauthentication',
  'streamlocalbindunlink', 'stricthostkeychecking', 'tcpkeepalive', 'tunnel', 'verifyhostkeydns', 'visualhostkey',
  'updatehostkeys', 'enableescapecommandline',
]

/** Integer options in the order ssh -G prints them. */
export const PRINTED_INTS: readonly string[] = [
  'canonicalizemaxdots', 'connectionattempts', 'forwardx11timeout', 'numberofpasswordprompts',
  'serveralivecountmax', 'serveraliveinterval', 'requiredrsasize',
]

const TABLES = new Map<string, Multistate>()
for (const spec of KEYWORDS.values()) if (spec.printByTable && spec.table !== undefined) TABLES.set(spec.key, spec.table)

/** Formats a flag or multistate value as ssh -G does (readconf.c `fmt_intarg()`). */
export function formatFlag(key: string, value: string | number): string {
  if (typeof value === 'string') return value
  const table = TABLES.get(key)
  if (table !== undefined) return table.find(([, v]) => v === value)?.[0] ?? 'UNKNOWN'
  return value === 0 ? 'no' : value === 1 ? 'yes' : 'UNKNOWN'
}

/** Formats an escape character as ssh -G does (vis(3) with VIS_WHITE). */
export function formatEscapeChar(c: number): string {
  if (c === -2) return 'none'
  if (c === 0x5c) return '\\\\'
  if (c === 0x20 || c === 0x09 || c === 0x0a) return `\\${c.toString(8).padStart(3, '0')}`
  if (c < 0x20) return `\\^${String.fromCharCode(c + 64)}`
  if (c === 0x7f) return '\\^?'
  return String.fromCharCode(c)
}
