/**
 * Applies one lexed config line to the options: readconf.c `process_config_line_depth()` for
 * the plain kinds (flags, multistate, ints, times, strings, commands), the handlers for the rest,
 * and the "extra arguments" check that follows every keyword.
 */
import { KEYWORDS, FLAG, type KeywordSpec } from './keywords.js'
import type { LexedLine } from './lexer.js'
import { ArgReader, type Handler, lineError, reportIgnored, type LineContext } from './line-context.js'
import { atoiErr, convtime } from './numbers.js'
import { matchPatternList } from '@x/transport'
import { FILES_PROXIES_ENV_HANDLERS } from './keywords-files-proxies-env.js'
import { FORWARDS_ALGORITHMS_HANDLERS } from './keywords-forwards-algorithms.js'
import { HOST_MATCH_INCLUDE_HANDLERS } from './keywords-host-match-include.js'
import { NAMES_DOMAINS_HANDLERS } from './keywords-names-domains.js'
import { NUMBERS_TIMES_HANDLERS } from './keywords-numbers-times.js'

const HANDLERS: Readonly<Record<string, Handler>> = {
  ...HOST_MATCH_INCLUDE_HANDLERS, ...FILES_PROXIES_ENV_HANDLERS, ...FORWARDS_ALGORITHMS_HANDLERS,
  ...NUMBERS_TIMES_HANDLERS, ...NAMES_DOMAINS_HANDLERS,
}

/** Applies `line` (already lexed) in `ctx`; throws ConfigError where ssh would refuse it. */
export function applyLine(ctx: LineContext, line: LexedLine): void {
  if (line.rest === '') throw lineError(ctx, `no argument after keyword "${line.keyword}"`)
  const spec = KEYWORDS.get(line.keyword)
  const ignored = ctx.pass.opts.str('ignoreunknown')
  const known = spec !== undefined || (ignored !== undefined && matchPatternList(line.keyword, ignored, true) === 1)
  if (!known) throw lineError(ctx, `Bad configuration option: ${line.keyword}`)
  if (line.args === undefined) throw lineError(ctx, 'invalid quotes')
  const args = new ArgReader(line.args)
  if (spec === undefined) {
    reportIgnored(ctx, 'ignore-unknown')
    args.consume()
  } else {
    applySpec(ctx, spec, args)
  }
  if (args.remaining > 0) throw lineError(ctx, `keyword ${line.keyword} extra arguments at end of line`)
}

function applySpec(ctx: LineContext, spec: KeywordSpec, args: ArgReader): void {
  const { opts } = ctx.pass
  const active = ctx.active.value
  switch (spec.kind) {
    case 'ignore':
      if (spec.reason !== undefined) reportIgnored(ctx, spec.reason)
      return args.consume()
    case 'flag':
    case 'multi': {
      const arg = args.next()
      if (arg === undefined || arg === '') throw lineError(ctx, 'missing argument.')
      const found = (spec.table ?? FLAG).find(([name]) => name === arg.toLowerCase())
      if (found === undefined) throw lineError(ctx, `unsupported option "${arg}".`)
      if (active) opts.setOnce(spec.key, found[1])
      return
    }
    case 'int': {
      const value = atoiErr(args.next())
      if (value === undefined) throw lineError(ctx, 'integer value invalid.')
      if (active) opts.setOnce(spec.key, value)
      return
    }
    case 'time': {
      const arg = args.next()
      if (arg === undefined || arg === '') throw lineError(ctx, 'missing time value.')
      // `none` is OpenSSH's "unset" (-1): it sets nothing, so a later line still can.
      if (arg === 'none') return
      const secs = convtime(arg)
      if (secs === -1) throw lineError(ctx, 'invalid time value.')
      if (active) opts.setOnce(spec.key, secs)
      return
    }
    case 'string': {
      const arg = args.next()
      if (arg === undefined || arg === '') throw lineError(ctx, 'Missing argument.')
      if (active) opts.setOnce(spec.key, arg)
      return
    }
    case 'command':
      if (active) opts.setOnce(spec.key, ctx.rest.replace(/^[ \t\r\n=]*/, ''))
      return args.consume()
    case 'special': {
      const handler = HANDLERS[spec.key]
      if (handler === undefined) throw new Error(`no handler for ${spec.key}`)
      return handler(ctx, args)
    }
  }
}
