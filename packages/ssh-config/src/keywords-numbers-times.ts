/**
 * The keywords whose values are numbers, times or masks with their own syntax: Port, RekeyLimit
 * (bytes and time), ControlPersist, AddKeysToAgent (a lifespan), TunnelDevice, IPQoS and
 * StreamLocalBindMask (readconf.c and misc.c, OpenSSH 9.2).
 */
import { YES_NO_ASK_CONFIRM } from './keywords.js'
import { type Handler, lineError, need } from './line-context.js'
import { a2port, a2tunOne, convtime, scanScaled, TUNID_ANY, TUNID_ERR } from './numbers.js'

/** IPQoS names and values (misc.c `ipqos[]`). */
export const IPQOS: readonly (readonly [string, number])[] = [
  ['none', 0x7fffffff], ['af11', 0x28], ['af12', 0x30], ['af13', 0x38], ['af21', 0x48], ['af22', 0x50], ['af23', 0x58],
  ['af31', 0x68], ['af32', 0x70], ['af33', 0x78], ['af41', 0x88], ['af42', 0x90], ['af43', 0x98], ['cs0', 0x00],
  ['cs1', 0x20], ['cs2', 0x40], ['cs3', 0x60], ['cs4', 0x80], ['cs5', 0xa0], ['cs6', 0xc0], ['cs7', 0xe0],
  ['ef', 0xb8], ['le', 0x04], ['lowdelay', 0x10], ['throughput', 0x08], ['reliability', 0x04],
]

const port: Handler = (ctx, args) => {
  const arg = need(ctx, args.next())
  const value = a2port(arg)
  if (value <= 0) throw lineError(ctx, `Bad port '${arg}'.`)
  if (ctx.active.value) ctx.pass.opts.setOnce('port', value)
}

const rekeyLimit: Handler = (ctx, args) => {
  const arg = need(ctx, args.next())
  const { opts } = ctx.pass
  let bytes = 0n
  if (arg !== 'default') {
    const v = scanScaled(arg)
    if (v === undefined) throw lineError(ctx, `Bad number '${arg}'`)
    if (v !== 0n && v < 16n) throw lineError(ctx, 'RekeyLimit too small')
    bytes = v
  }
  if (ctx.active.value) opts.setOnce('rekeylimit', bytes.toString())
  if (args.remaining === 0) return
  const t = args.next() ?? ''
  if (t === 'none') return
  const secs = t === '' ? -1 : convtime(t)
  if (t === '') throw lineError(ctx, 'missing time value.')
  if (secs === -1) throw lineError(ctx, 'invalid time value.')
  if (ctx.active.value && opts.rekeyInterval === undefined) opts.rekeyInterval = secs
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

/** Handlers of the keywords above, by option name. */
export const NUMBERS_TIMES_HANDLERS: Readonly<Record<string, Handler>> = {
  port, rekeylimit: rekeyLimit, controlpersist: controlPersist, addkeystoagent: addKeysToAgent,
  tunneldevice: tunnelDevice, ipqos, streamlocalbindmask: streamLocalBindMask,
}
