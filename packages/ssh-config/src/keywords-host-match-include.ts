/**
 * Host, Match, Include and RefuseConnection lines: which blocks apply to the host and which files
 * are read next (readconf.c `process_config_line_depth()`, OpenSSH 9.2; RefuseConnection from
 * OpenSSH 10.1).
 */
import { matchPattern } from '@x/transport'
import { type Handler, lineError, need } from './line-context.js'
import { evaluateMatch } from './match-line.js'

const host: Handler = (ctx, args) => {
  ctx.active.value = false
  for (let arg = args.next(); arg !== undefined; arg = args.next()) {
    if (arg === '') throw lineError(ctx, `keyword ${ctx.keyword} empty argument`)
    if (ctx.flags.neverMatch) return args.consume()
    const negated = arg.startsWith('!')
    if (matchPattern(ctx.pass.host, negated ? arg.slice(1) : arg)) {
      if (negated) {
        ctx.active.value = false
        return args.consume()
      }
      ctx.active.value = true
    }
  }
}

const match: Handler = (ctx, args) => {
  const { matched, usedUp } = evaluateMatch(ctx)
  ctx.active.value = ctx.flags.neverMatch ? false : matched
  if (usedUp) args.consume()
}

const include: Handler = (ctx, args) => {
  for (let arg = args.next(); arg !== undefined; arg = args.next()) {
    if (arg === '') throw lineError(ctx, `keyword ${ctx.keyword} empty argument`)
    if (arg.startsWith('~') && !ctx.flags.user) throw lineError(ctx, `bad include path ${arg}.`)
    // Relative paths live in ~/.ssh for user configs and /etc/ssh for the system one.
    const path = arg.startsWith('/') || arg.startsWith('~') ? arg : `${ctx.flags.user ? '~/.ssh' : '/etc/ssh'}/${arg}`
    ctx.include(path)
  }
}

/** OpenSSH 10.1+: in a block that applies, ssh stops reading and refuses with the (first) argument. */
const refuseConnection: Handler = (ctx, args) => {
  const arg = need(ctx, args.next())
  if (ctx.active.value && !ctx.flags.neverMatch) throw lineError(ctx, `RefuseConnection: ${arg}`)
}

/** Handlers of the keywords above, by option name. */
export const HOST_MATCH_INCLUDE_HANDLERS: Readonly<Record<string, Handler>> = {
  host, match, include, refuseconnection: refuseConnection,
}
