/**
 * The keywords whose values are names from a fixed set or domain lists: EscapeChar, LogLevel,
 * SyslogFacility, LogVerbose, FingerprintHash, CanonicalDomains and
 * CanonicalizePermittedCNAMEs (readconf.c and log.c, OpenSSH 9.2).
 */
import { validDomain } from '@x/gateway'
import { asciiLower } from '@x/transport'
import { type Handler, lineError } from './line-context.js'

/** Log level names (log.c; Debian adds SILENT first, so ssh -G prints QUIET as SILENT). */
export const LOG_LEVELS: readonly (readonly [string, number])[] = [
  ['SILENT', 0], ['QUIET', 0], ['FATAL', 1], ['ERROR', 2], ['INFO', 3], ['VERBOSE', 4],
  ['DEBUG', 5], ['DEBUG1', 5], ['DEBUG2', 6], ['DEBUG3', 7],
]
const FACILITIES = ['DAEMON', 'USER', 'AUTH', 'AUTHPRIV', ...Array.from({ length: 8 }, (_, i) => `LOCAL${i}`)]
const DIGESTS = ['MD5', 'SHA1', 'SHA256', 'SHA384', 'SHA512']

const escapeChar: Handler = (ctx, args) => {
  const arg = args.next()
  if (arg === undefined || arg === '') throw lineError(ctx, 'Missing argument.')
  let value: number
  if (arg === 'none') value = -2
  else if (arg.length === 1) value = arg.charCodeAt(0)
  else if (arg.length === 2 && arg.startsWith('^') && arg.charCodeAt(1) >= 64 && arg.charCodeAt(1) < 128) value = arg.charCodeAt(1) & 31
  else throw lineError(ctx, 'Bad escape character.')
  if (ctx.active.value) ctx.pass.opts.setOnce('escapechar', value)
}

const logLevel: Handler = (ctx, args) => {
  const arg = args.next()
  const level = LOG_LEVELS.find(([n]) => n.toLowerCase() === arg?.toLowerCase())
  if (level === undefined) throw lineError(ctx, `unsupported log level '${arg ?? '<NONE>'}'`)
  if (ctx.active.value) ctx.pass.opts.setOnce('loglevel', level[1])
}

const syslogFacility: Handler = (ctx, args) => {
  const arg = args.next()
  const name = FACILITIES.find((n) => n.toLowerCase() === arg?.toLowerCase())
  if (name === undefined) throw lineError(ctx, `unsupported log facility '${arg ?? '<NONE>'}'`)
  // OpenSSH 9.2 sets it without looking at whether the block applies.
  ctx.pass.opts.syslogFacility ??= name
}

const logVerbose: Handler = (ctx, args) => {
  const { opts } = ctx.pass
  let i = 0
  for (let arg = args.next(); arg !== undefined; arg = args.next(), i++) {
    if (arg === '') throw lineError(ctx, `keyword ${ctx.keyword} empty argument`)
    if (arg.toLowerCase() === 'none' && (i > 0 || args.remaining > 0)) throw lineError(ctx, `keyword ${ctx.keyword} "none" argument must appear alone.`)
    // readconf.c re-checks "still empty" per argument, so only the first one is kept.
    if (ctx.active.value && (opts.logVerbose?.length ?? 0) === 0) opts.logVerbose = [arg]
  }
}

const fingerprintHash: Handler = (ctx, args) => {
  const arg = args.next()
  if (arg === undefined || arg === '') throw lineError(ctx, 'Missing argument.')
  const name = DIGESTS.find((d) => d.toLowerCase() === arg.toLowerCase())
  if (name === undefined) throw lineError(ctx, `Invalid hash algorithm "${arg}".`)
  if (ctx.active.value) ctx.pass.opts.setOnce('fingerprinthash', name)
}

const canonicalDomains: Handler = (ctx, args) => {
  const { opts } = ctx.pass
  const already = (opts.canonicalDomains?.length ?? 0) !== 0
  let i = 0
  for (let arg = args.next(); arg !== undefined; arg = args.next()) {
    if (arg === '') throw lineError(ctx, `keyword ${ctx.keyword} empty argument`)
    if (arg.toLowerCase() === 'none' && (i > 0 || args.remaining > 0)) throw lineError(ctx, `keyword ${ctx.keyword} "none" argument must appear alone.`)
    i++
    if (!validDomain(arg)) throw lineError(ctx, `domain name "${arg}" is not valid`)
    if (!ctx.active.value || already) continue
    const list = (opts.canonicalDomains ??= [])
    if (list.length >= 32) throw lineError(ctx, 'too many hostname suffixes.')
    list.push(asciiLower(arg).replace(/\.$/, ''))
  }
}

const permittedCnames: Handler = (ctx, args) => {
  const { opts } = ctx.pass
  const already = (opts.permittedCnames?.length ?? 0) !== 0
  let i = 0
  for (let arg = args.next(); arg !== undefined; arg = args.next(), i++) {
    let pair: [string, string]
    if (arg.toLowerCase() === 'none') {
      if (i > 0 || args.remaining > 0) throw lineError(ctx, `keyword ${ctx.keyword} "none" argument must appear alone.`)
      pair = ['none', '']
    } else if (arg === '*') {
      pair = ['*', '*']
    } else {
      const lower = asciiLower(arg)
      const colon = lower.indexOf(':')
      if (colon < 0 || colon === lower.length - 1) throw lineError(ctx, `Invalid permitted CNAME "${arg}"`)
      pair = [lower.slice(0, colon), lower.slice(colon + 1)]
    }
    if (!ctx.active.value || already) continue
    const list = (opts.permittedCnames ??= [])
    if (list.length >= 32) throw lineError(ctx, 'too many permitted CNAMEs.')
    list.push(pair)
  }
}

/** Handlers of the keywords above, by option name. */
export const NAMES_DOMAINS_HANDLERS: Readonly<Record<string, Handler>> = {
  escapechar: escapeChar, loglevel: logLevel, syslogfacility: syslogFacility, logverbose: logVerbose,
  fingerprinthash: fingerprintHash, canonicaldomains: canonicalDomains, canonicalizepermittedcnames: permittedCnames,
}
