/**
 * Forward specs and algorithm lists: LocalForward/RemoteForward/DynamicForward, PermitRemoteOpen,
 * Ciphers/MACs/KexAlgorithms/HostKeyAlgorithms and the other key-type lists, and Debian's
 * GSSAPIKexAlgorithms (readconf.c, OpenSSH 9.2).
 */
import { type AlgorithmFamily, CA_SIGS, CIPHERS, KEX, KEY_TYPES, MACS, validAlgorithmSpec } from './algorithms.js'
import { forwardEquals, parseForward } from './forward-spec.js'
import { type Handler, lineError } from './line-context.js'
import { a2port } from './numbers.js'

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

function algorithms(key: string, family: AlgorithmFamily, what: string): Handler {
  return (ctx, args) => {
    const arg = args.next()
    if (arg === undefined || arg === '') throw lineError(ctx, 'Missing argument.')
    if (!validAlgorithmSpec(family, arg)) throw lineError(ctx, `Bad ${what} '${arg}'.`)
    if (ctx.active.value) ctx.pass.opts.setOnce(key, arg)
  }
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
export const FORWARDS_ALGORITHMS_HANDLERS: Readonly<Record<string, Handler>> = {
  localforward: forward('local'), remoteforward: forward('remote'), dynamicforward: forward('dynamic'),
  permitremoteopen: permitRemoteOpen,
  ciphers: algorithms('ciphers', CIPHERS, 'SSH2 cipher spec'),
  macs: algorithms('macs', MACS, 'SSH2 MAC spec'),
  kexalgorithms: algorithms('kexalgorithms', KEX, 'SSH2 KexAlgorithms'),
  hostkeyalgorithms: algorithms('hostkeyalgorithms', KEY_TYPES, 'key types'),
  casignaturealgorithms: algorithms('casignaturealgorithms', CA_SIGS, 'key types'),
  hostbasedacceptedalgorithms: algorithms('hostbasedacceptedalgorithms', KEY_TYPES, 'key types'),
  pubkeyacceptedalgorithms: algorithms('pubkeyacceptedalgorithms', KEY_TYPES, 'key types'),
  gssapikexalgorithms: gssKex,
}
