/**
 * `Match` evaluation as readconf.c `match_cfg_line()` does it in OpenSSH 9.2: criteria are read
 * with `strdelim()`, `all` must stand alone, `canonical`/`final` are true only in the final pass,
 * and `exec` runs a shell command — here only when the caller opted in (allowMatchExec). From
 * OpenSSH 9.4+: `tagged` (the Tag option) and the `attribute=value` form of an argument.
 * `localnetwork`, `version`, `command` and `sessiontype` (OpenSSH 9.4+) are refused: they need
 * state a library resolve does not have (interfaces, ssh's version, the command line).
 */
import { accessSync, constants } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { strdelim, type Cursor } from './lexer.js'
import { lineError, type LineContext } from './line-context.js'
import { asciiLower, matchHostname, matchPatternList } from '@x/transport'
import { clientTokens, expand, ExpansionError } from './tokens.js'

/** How long one `Match exec` command may run before the resolve fails (ssh itself waits forever). */
export const MATCH_EXEC_TIMEOUT_MS = 10_000

/** Attributes OpenSSH 9.4+ also accepts as `attribute=value` in one word. */
const EQUALS_FORM = new Set(['host', 'originalhost', 'user', 'localuser', 'localnetwork', 'version', 'tagged', 'command', 'exec'])

/** Evaluates the criteria of a Match line; returns whether the block applies and whether the line was used up. */
export function evaluateMatch(ctx: LineContext): { matched: boolean; usedUp: boolean } {
  const { opts, local } = ctx.pass
  const port = opts.num('port') ?? 22
  const ruser = opts.str('user') ?? local.localUser
  const host = matchHost(ctx)
  const cursor: Cursor = { text: ctx.rest, pos: 0 }
  let result = true
  let attributes = 0
  for (;;) {
    const oattrib = strdelim(cursor)
    if (oattrib === null || oattrib === '') break
    if (oattrib.startsWith('#')) {
      cursor.pos = null
      break
    }
    const negate = oattrib.startsWith('!')
    const attrib = asciiLower(negate ? oattrib.slice(1) : oattrib)
    if (attrib === 'all') {
      const arg = attributes > 1 ? undefined : strdelim(cursor)
      if (attributes > 1 || (arg !== null && arg !== undefined && arg !== '' && !arg.startsWith('#'))) {
        throw lineError(ctx, `'${oattrib}' cannot be combined with other Match attributes`)
      }
      if (arg?.startsWith('#') === true) cursor.pos = null
      if (result) result = !negate
      return { matched: result, usedUp: cursor.pos === null || cursor.pos >= cursor.text.length }
    }
    attributes++
    if (attrib === 'canonical' || attrib === 'final') {
      if (attrib === 'final' && ctx.pass.wantFinal !== null) ctx.pass.wantFinal = true
      if (ctx.pass.final === negate) result = false
      continue
    }
    const eq = attrib.indexOf('=')
    const name = eq > 0 && EQUALS_FORM.has(attrib.slice(0, eq)) ? attrib.slice(0, eq) : attrib
    // The value after `=` keeps its case (only the attribute name is case-insensitive).
    const raw = name === attrib ? strdelim(cursor) : oattrib.slice(oattrib.indexOf('=') + 1)
    // tagged (and command) take an empty argument: it matches when no Tag is set.
    const arg = raw === '' && name === 'tagged' ? '' : raw === '' ? null : raw
    if (arg === null || arg.startsWith('#')) throw lineError(ctx, `Missing Match criteria for ${name}`)
    let r: boolean
    if (name === 'tagged') {
      const tag = opts.str('tag') ?? ''
      r = tag === '' ? arg === '' : matchPatternList(tag, arg, false) === 1
    } else if (name === 'host') r = matchHostname(host, arg) === 1
    else if (name === 'originalhost') r = matchHostname(ctx.pass.originalHost, arg) === 1
    else if (name === 'user') r = matchPatternList(ruser, arg, false) === 1
    else if (name === 'localuser') r = matchPatternList(local.localUser, arg, false) === 1
    else if (name === 'exec') {
      const tokens = clientTokens({
        localHostname: local.localHostname, host, hostArg: ctx.pass.originalHost, port, user: ruser,
        localUser: local.localUser, homeDir: local.homeDir, uid: local.uid, hostKeyAlias: opts.str('hostkeyalias') ?? host,
      })
      const cmd = expandOrFail(ctx, arg, tokens)
      // OpenSSH skips the command once an earlier criterion on the line failed; a parse-only
      // Include (inside a block that did not match) discards the result, so we skip it there too.
      if (!result || ctx.flags.neverMatch) continue
      r = runExec(ctx, cmd)
    } else {
      throw lineError(ctx, `Unsupported Match attribute ${name}`)
    }
    if (r === negate) result = false
  }
  if (attributes === 0) throw lineError(ctx, 'One or more attributes required for Match')
  return { matched: result, usedUp: cursor.pos === null || cursor.pos >= cursor.text.length }
}

function matchHost(ctx: LineContext): string {
  const hostname = ctx.pass.opts.str('hostname')
  if (ctx.pass.final) return hostname ?? ctx.pass.host
  return hostname === undefined ? ctx.pass.host : expandOrFail(ctx, hostname, { h: ctx.pass.host })
}

function expandOrFail(ctx: LineContext, s: string, tokens: Record<string, string>): string {
  try {
    return expand(s, tokens)
  } catch (err) {
    if (err instanceof ExpansionError) throw lineError(ctx, `Match: ${err.message} in "${s}"`, err)
    throw err
  }
}

function runExec(ctx: LineContext, cmd: string): boolean {
  if (!ctx.pass.local.allowMatchExec) {
    throw lineError(ctx, `Match exec "${cmd}" would run a command; pass allowMatchExec: true to allow it`)
  }
  const shell = ctx.pass.local.env['SHELL'] ?? '/bin/sh'
  try {
    accessSync(shell, constants.X_OK)
  } catch (err) {
    throw lineError(ctx, `Shell "${shell}" is not executable`, err)
  }
  // ssh runs it with stdin and stdout on /dev/null and its own stderr.
  const r = spawnSync(shell, ['-c', cmd], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: ctx.pass.local.env,
    timeout: MATCH_EXEC_TIMEOUT_MS,
    killSignal: 'SIGKILL',
  })
  if (r.error !== undefined || r.status === null) {
    throw lineError(ctx, `match exec '${cmd}' error`, r.error ?? r.signal)
  }
  return r.status === 0
}
