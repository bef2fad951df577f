/**
 * The keywords whose values are paths, proxies or environment names: IdentityFile and
 * CertificateFile lists, User/GlobalKnownHostsFile, IdentityAgent and ForwardAgent socket paths,
 * ProxyCommand and ProxyJump (and the rule between them), SendEnv and SetEnv (readconf.c,
 * OpenSSH 9.2).
 */
import { matchPattern } from '@x/transport'
import { parseJump } from './proxy-jump.js'
import { type Handler, lineError, need, type LineContext } from './line-context.js'
import { expand, ExpansionError } from './tokens.js'

const WS_EQ = /^[ \t\r\n=]*/

const proxyCommand: Handler = (ctx, args) => {
  const { opts } = ctx.pass
  // OpenSSH 9.2 looks only at ProxyCommand here: a ProxyJump obtained earlier has already set
  // it to `none`, while an earlier `ProxyJump none` leaves it free.
  if (ctx.active.value && opts.proxyCommand === undefined) {
    opts.proxyCommand = ctx.rest.replace(WS_EQ, '')
  }
  args.consume()
}

const proxyJump: Handler = (ctx, args) => {
  const { opts } = ctx.pass
  const value = ctx.rest.replace(WS_EQ, '')
  const jump = parseJump(value)
  if (jump === undefined) throw lineError(ctx, `Invalid ProxyJump "${value}"`)
  if (jump === 'none') {
    if (ctx.active.value && opts.jump === undefined) opts.jump = 'none'
  } else if (ctx.active.value && opts.proxyCommand === undefined && opts.jump === undefined) {
    opts.jump = jump
    opts.proxyCommand = 'none'
  }
  args.consume()
}

function identityList(which: 'identityFiles' | 'certificateFiles', what: string): Handler {
  return (ctx, args) => {
    const arg = need(ctx, args.next())
    if (!ctx.active.value) return
    const list = ctx.pass.opts[which]
    if (list.length >= 100) throw lineError(ctx, `Too many ${what} files specified (max 100).`)
    if (!list.some((e) => e.path === arg && e.user === ctx.flags.user)) list.push({ path: arg, user: ctx.flags.user })
  }
}

function hostfiles(which: 'userHostfiles' | 'systemHostfiles'): Handler {
  return (ctx, args) => {
    const { opts } = ctx.pass
    const wasEmpty = opts[which] === undefined
    let i = 0
    for (let arg = args.next(); arg !== undefined; arg = args.next()) {
      if (arg === '') throw lineError(ctx, `keyword ${ctx.keyword} empty argument`)
      if (arg.toLowerCase() === 'none' && (i > 0 || args.remaining > 0)) {
        throw lineError(ctx, `keyword ${ctx.keyword} "none" argument must appear alone.`)
      }
      i++
      if (ctx.active.value && wasEmpty) {
        const list = (opts[which] ??= [])
        if (list.length >= 32) throw lineError(ctx, `too many ${ctx.keyword} entries.`)
        list.push(arg)
      }
    }
  }
}

const sendEnv: Handler = (ctx, args) => {
  const list = ctx.pass.opts.sendEnv
  for (let arg = args.next(); arg !== undefined; arg = args.next()) {
    if (arg === '' || arg.includes('=')) throw lineError(ctx, 'Invalid environment name.')
    if (!ctx.active.value) continue
    if (!arg.startsWith('-')) list.push(arg)
    else for (let i = list.length - 1; i >= 0; i--) if (matchPattern(list[i] ?? '', arg.slice(1))) list.splice(i, 1)
  }
}

const setEnv: Handler = (ctx, args) => {
  const list = ctx.pass.opts.setEnv
  const alreadySet = list.length !== 0
  for (let arg = args.next(); arg !== undefined; arg = args.next()) {
    if (!arg.includes('=')) throw lineError(ctx, 'Invalid SetEnv.')
    if (!ctx.active.value || alreadySet) continue
    const name = arg.slice(0, arg.indexOf('='))
    if (!list.some((e) => e.startsWith(`${name}=`))) list.push(arg)
  }
}

/** readconf.c `parse_agent_path`: `${VAR}` must expand and `$VAR` must be a valid name. */
function checkAgentPath(ctx: LineContext, arg: string): void {
  try {
    expand(arg, undefined, ctx.pass.local.env)
  } catch (err) {
    if (err instanceof ExpansionError) throw lineError(ctx, `Invalid environment expansion ${arg}.`, err)
    throw err
  }
  if (arg.startsWith('$') && arg.charAt(1) !== '{' && !/^[A-Za-z0-9_]+$/.test(arg.slice(1))) {
    throw lineError(ctx, `Invalid environment name ${arg}.`)
  }
}

const identityAgent: Handler = (ctx, args) => {
  const arg = need(ctx, args.next())
  checkAgentPath(ctx, arg)
  if (ctx.active.value) ctx.pass.opts.setOnce('identityagent', arg)
}

const forwardAgent: Handler = (ctx, args) => {
  const arg = need(ctx, args.next(), 'missing argument.')
  const { opts } = ctx.pass
  const flag = ({ true: 1, false: 0, yes: 1, no: 0 } as Record<string, number>)[arg.toLowerCase()]
  if (flag !== undefined) {
    if (ctx.active.value) opts.setOnce('forwardagent', flag)
    return
  }
  // Not yes/no: a socket path, which also means "yes".
  if (ctx.active.value) opts.setOnce('forwardagent', 1)
  checkAgentPath(ctx, arg)
  if (ctx.active.value && opts.forwardAgentPath === undefined) opts.forwardAgentPath = arg
}

/** Handlers of the keywords above, by option name. */
export const FILES_PROXIES_ENV_HANDLERS: Readonly<Record<string, Handler>> = {
  proxycommand: proxyCommand, proxyjump: proxyJump,
  identityfile: identityList('identityFiles', 'identity'),
  certificatefile: identityList('certificateFiles', 'certificate'),
  userknownhostsfile: hostfiles('userHostfiles'),
  globalknownhostsfile: hostfiles('systemHostfiles'),
  sendenv: sendEnv, setenv: setEnv, identityagent: identityAgent, forwardagent: forwardAgent,
}
