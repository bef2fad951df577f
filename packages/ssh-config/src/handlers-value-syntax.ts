/**
 * Handlers for the remaining keywords with their own syntax: forwards, algorithm lists, logging,
 * ControlPersist, tunnels, IPQoS, canonicalisation lists, and friends (readconf.c, OpenSSH 9.2).
 * They are parsed (and refused) exactly as ssh does even when nothing here uses the value.
 */
import { type AlgorithmFamily, CA_SIGS, CIPHERS, KEX, KEY_TYPES, MACS, validAlgorithmSpec } from './algorithms.js'
import { forwardEquals, parseForward } from './forward.js'
import { validDomain } from '@x/gateway'
import { YES_NO_ASK_CONFIRM } from './keywords.js'
import { lineError } from './line-context.js'
import { a2port, a2tunOne, convtime, TUNID_ANY, TUNID_ERR } from './numbers.js'
import { asciiLower } from '@x/transport'
import type { Handler } from './handlers-resolution.js'

/** Log level names (log.c; Debian adds SILENT first, so ssh -G prints QUIET as SILENT). */
export const LOG_LEVELS: readonly (readonly [string, number])[] = [
  ['SILENT', 0], ['QUIET', 0], ['FATAL', 1], ['ERROR', 2], ['INFO', 3], ['VERBOSE', 4],
  ['DEBUG', 5], ['DEBUG1', 5], ['DEBUG2', 6], ['DEBUG3', 7],
]
const FACILITIES = ['DAEMON', 'USER', 'AUTH', 'AUTHPRIV', ...Array.from({ length: 8 }, (_, i) => `LOCAL${i}`)]
/** IPQoS names and values (misc.c `ipqos[]`). */
export const IPQOS: readonly (readonly [string, number])[] = [
  ['none', 0x7fffffff], ['af11', 0x28], ['af12', 0x30], ['af13', 0x38], ['af21', 0x48], ['af22', 0x50], ['af23', 0x58],
  ['af31', 0x68], ['af32', 0x70], ['af33', 0x78], ['af41', 0x88], ['af42', 0x90], ['af43', 0x98], ['cs0', 0x00],
  ['cs1', 0x20], ['cs2', 0x40], ['cs3', 0x60], ['cs4', 0x80], ['cs5', 0xa0], ['cs6', 0xc0], ['cs7', 0xe0],
  ['ef', 0xb8], ['le', 0x04], ['lowdelay', 0x10], ['throughput', 0x08], ['reliability', 0x04],
]
const DIGESTS = ['MD5', 'SHA1', 'SHA256', 'SHA384', 'SHA512']
const GSS_PREFIXES = ['gss-gex-sha1-', 'gss-group1-sha1-', 'gss-group14-sha1-', 'gss-group14-sha256-', 'gss-group16-sha512-', 'gss-nistp256-sha256-', 'gss-curve25519-sha256-']

function forward(kind: 'local' | 'remote' | 'dynamic'): Handler {
  return (ctx, args) => {
    const arg = args.next()
    if (arg === undefined || arg === '') throw lineError(ctx, 'Missing argument.')
    let dynamic = kind === 'dynamic'
    let spec = arg
    if (!dynamic) {
      const arg2 = args.next()
      if (arg2 === undefined || arg2 === '') {
        if (kind !== 'remote') throw lineError(ctx, 'Missing target argument.')
        dynamic = true
      } else {
        spec = `${arg}:${arg2}`
      }
    }
    const fwd = parseForward(spec, dynamic, kind === 'remote', ctx.pass.local.env)
    if (fwd === undefined) throw lineError(ctx, 'Bad forwarding specification.')
    if (!ctx.active.value) return
    const list = kind === 'remote' ? ctx.pass.opts.remoteForwards : ctx.pass.opts.localForwards
    if (!list.some((f) => forwardEquals(f, fwd))) list.push(fwd)
  }
}

function algorithms(key: string, family: AlgorithmFamily, what: string): Handler {
  return (ctx, args) => {
    const arg = args.next()
    if (arg === undefined || arg === '') throw lineError(ctx, 'Missing argument.')
    if (!validAlgorithmSpec(family, arg)) throw lineError(ctx, `Bad ${what} '${arg}'.`)
    if (ctx.active.value) ctx.pass.opts.setOnce(key, arg)
  }
}

const permitRemoteOpen: Handler = (ctx, args) => {
  const { opts } = ctx.pass
  const wasEmpty = opts.permitRemoteOpen === undefined
  let i = 0
  for (let arg = args.next(); arg !== undefined; arg = args.next(), i++) {
    const word = arg.toLowerCase()
    if (word === 'none' || word === 'any') {
      if (i > 0 || args.remaining > 0) throw lineError(ctx, `keyword ${ctx.keyword} "${arg}" argument must appear alone.`)
    } else {
      const m = /^(\[[^\]]*\]|[^:/]*)(?::(.*))?$/.exec(arg)
      if (m === null) throw lineError(ctx, 'missing host in permitremoteopen')
      const p = m[2]
      if (p === undefined || (p !== '*' && a2port(p) <= 0)) throw lineError(ctx, 'bad port number in permitremoteopen')
    }
    if (ctx.active.value && wasEmpty) (opts.permitRemoteOpen ??= []).push(arg)
  }
  if (i === 0) throw lineError(ctx, 'missing permitremoteopen specification')
}

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

const controlPersist: Handler = (ctx, args) => {
  const arg = args.next()
  if (arg === undefined || arg === '') throw lineError(ctx, 'Missing ControlPersist argument.')
  let value: { value: number; timeout: number }
  if (arg === 'no' || arg === 'false') value = { value: 0, timeout: 0 }
  else if (arg === 'yes' || arg === 'true') value = { value: 1, timeout: 0 }
  else {
    const t = convtime(arg)
    if (t < 0) throw lineError(ctx, 'Bad ControlPersist argument.')
    value = { value: 1, timeout: t }
  }
  if (ctx.active.value) ctx.pass.opts.controlPersist ??= value
}

const tunnelDevice: Handler = (ctx, args) => {
  const arg = args.next()
  if (arg === undefined || arg === '') throw lineError(ctx, 'Missing argument.')
  const colon = arg.indexOf(':')
  const local = a2tunOne(colon < 0 ? arg : arg.slice(0, colon))
  const remote = colon < 0 ? TUNID_ANY : a2tunOne(arg.slice(colon + 1))
  if (local === TUNID_ERR || remote === TUNID_ERR) throw lineError(ctx, 'Bad tun device.')
  if (ctx.active.value) ctx.pass.opts.tunnelDevice ??= { local, remote }
}

function parseIpqos(s: string | undefined): number {
  if (s === undefined) return -1
  const named = IPQOS.find(([n]) => n === s.toLowerCase())
  if (named !== undefined) return named[1]
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)$/.exec(s)
  if (m === null) return -1
  const body = m[2] ?? ''
  const v = (m[1] === '-' ? -1 : 1) * (body.startsWith('0x') || body.startsWith('0X') ? parseInt(body, 16) : body.startsWith('0') ? parseInt(body, 8) : parseInt(body, 10))
  return v < 0 || v > 255 ? -1 : v
}

const ipqos: Handler = (ctx, args) => {
  const a = args.next()
  const interactive = parseIpqos(a)
  if (interactive === -1) throw lineError(ctx, `Bad IPQoS value: ${a ?? '(null)'}`)
  const b = args.next()
  const bulk = b === undefined ? interactive : parseIpqos(b)
  if (bulk === -1) throw lineError(ctx, `Bad IPQoS value: ${b ?? ''}`)
  if (ctx.active.value) ctx.pass.opts.ipqos ??= { interactive, bulk }
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

const streamLocalBindMask: Handler = (ctx, args) => {
  const arg = args.next()
  if (arg === undefined || arg === '') throw lineError(ctx, 'Missing StreamLocalBindMask argument.')
  // strtol(…, 8) reads as far as it can; only "no digits" and the range are refused.
  const m = /^[ \t\n\v\f\r]*([+-]?)([0-7]+)/.exec(arg)
  const value = m === null ? NaN : (m[1] === '-' ? -1 : 1) * parseInt(m[2] ?? '', 8)
  if (Number.isNaN(value) || value < 0 || value > 0o777) throw lineError(ctx, 'Bad mask.')
  // OpenSSH 9.2 sets it unconditionally: the last one read wins, active block or not.
  ctx.pass.opts.streamLocalBindMask = value
}

const fingerprintHash: Handler = (ctx, args) => {
  const arg = args.next()
  if (arg === undefined || arg === '') throw lineError(ctx, 'Missing argument.')
  const name = DIGESTS.find((d) => d.toLowerCase() === arg.toLowerCase())
  if (name === undefined) throw lineError(ctx, `Invalid hash algorithm "${arg}".`)
  if (ctx.active.value) ctx.pass.opts.setOnce('fingerprinthash', name)
}

const addKeysToAgent: Handler = (ctx, args) => {
  const arg = args.next()
  const arg2 = args.next()
  if (arg === undefined || arg === '') throw lineError(ctx, 'missing argument.')
  let value = YES_NO_ASK_CONFIRM.find(([n]) => n === arg.toLowerCase())?.[1] ?? -1
  let lifespan = 0
  if (value === 3 && arg2 !== undefined) {
    lifespan = convtime(arg2)
    if (lifespan === -1) throw lineError(ctx, 'invalid time value.')
  } else if (value === -1 && arg2 === undefined) {
    lifespan = convtime(arg)
    if (lifespan === -1) throw lineError(ctx, 'unsupported option')
    value = 1
  } else if (value === -1 || arg2 !== undefined) {
    throw lineError(ctx, 'unsupported option')
  }
  if (ctx.active.value) ctx.pass.opts.addKeysToAgent ??= { value, lifespan }
}

const gssKex: Handler = (ctx, args) => {
  const arg = args.next()
  if (arg === undefined || arg === '') throw lineError(ctx, 'Missing argument.')
  for (const n of arg.split(',')) {
    if (n === '') break
    if (!GSS_PREFIXES.some((p) => n.startsWith(p))) throw lineError(ctx, `Bad GSSAPI KexAlgorithms '${arg}'.`)
  }
  if (ctx.active.value) ctx.pass.opts.setOnce('gssapikexalgorithms', arg)
}

/** Handlers of the keywords above, by option name. */
export const VALUE_SYNTAX_HANDLERS: Readonly<Record<string, Handler>> = {
  localforward: forward('local'), remoteforward: forward('remote'), dynamicforward: forward('dynamic'),
  ciphers: algorithms('ciphers', CIPHERS, 'SSH2 cipher spec'),
  macs: algorithms('macs', MACS, 'SSH2 MAC spec'),
  kexalgorithms: algorithms('kexalgorithms', KEX, 'SSH2 KexAlgorithms'),
  hostkeyalgorithms: algorithms('hostkeyalgorithms', KEY_TYPES, 'key types'),
  casignaturealgorithms: algorithms('casignaturealgorithms', CA_SIGS, 'key types'),
  hostbasedacceptedalgorithms: algorithms('hostbasedacceptedalgorithms', KEY_TYPES, 'key types'),
  pubkeyacceptedalgorithms: algorithms('pubkeyacceptedalgorithms', KEY_TYPES, 'key types'),
  permitremoteopen: permitRemoteOpen, escapechar: escapeChar, loglevel: logLevel, syslogfacility: syslogFacility,
  logverbose: logVerbose, controlpersist: controlPersist, tunneldevice: tunnelDevice, ipqos,
  canonicaldomains: canonicalDomains, canonicalizepermittedcnames: permittedCnames,
  streamlocalbindmask: streamLocalBindMask, fingerprinthash: fingerprintHash, addkeystoagent: addKeysToAgent,
  gssapikexalgorithms: gssKex,
}
