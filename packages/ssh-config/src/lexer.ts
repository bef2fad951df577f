/**
 * Line lexing exactly as OpenSSH 9.2's readconf.c does it: `strdelim()` for the keyword and for
 * `Match` criteria, `argv_split()` for every other argument list, and the raw rest of the line
 * for command keywords (ProxyCommand, ProxyJump, LocalCommand, RemoteCommand, KnownHostsCommand).
 *
 * Why not the `ssh-config` package's tokenizer: it has no line numbers, knows no single quotes,
 * splits values on `=`, keeps `\ ` escapes and treats `#` differently, so its tokens differ from
 * ssh's for ordinary lines (`User 'bob'`, `IdentityFile ~/a\ b`, `Host a=b`).
 */

import { asciiLower } from '@x/transport'

/** OpenSSH's WHITESPACE set (misc.c): space, tab, CR, LF. */
const WHITESPACE = ' \t\r\n'

/** One physical line split the way readconf.c splits it. */
export interface LexedLine {
  /** Lower-cased keyword. */
  readonly keyword: string
  /** The rest of the line after the keyword and its separator, leading whitespace removed. */
  readonly rest: string
  /** `argv_split(rest)`, or undefined when its quotes do not balance. */
  readonly args: readonly string[] | undefined
}

/** A cursor over a config line for {@link strdelim}; `pos` null means the line is used up. */
export interface Cursor {
  readonly text: string
  pos: number | null
}

function spanWhitespace(text: string, from: number): number {
  let i = from
  while (i < text.length && WHITESPACE.includes(text.charAt(i))) i++
  return i - from
}

/**
 * Returns the next token of a config line as misc.c `strdelim()` does: split on whitespace or one
 * `=`, a double-quoted run joins a token; null when a quote is not closed or the line is used up.
 */
export function strdelim(cursor: Cursor, splitEquals = true): string | null {
  if (cursor.pos === null) return null
  const { text } = cursor
  const start = cursor.pos
  const delims = splitEquals ? `${WHITESPACE}"=` : `${WHITESPACE}"`
  let i = start
  while (i < text.length && !delims.includes(text.charAt(i))) i++
  if (i >= text.length) {
    cursor.pos = null
    return text.slice(start)
  }
  if (text.charAt(i) === '"') {
    const close = text.indexOf('"', i + 1)
    if (close < 0) {
      cursor.pos = null
      return null
    }
    cursor.pos = close + 1 + spanWhitespace(text, close + 1)
    return text.slice(start, i) + text.slice(i + 1, close)
  }
  const wasEquals = splitEquals && text.charAt(i) === '='
  let next = i + 1 + spanWhitespace(text, i + 1)
  if (splitEquals && text.charAt(next) === '=' && !wasEquals) next = next + 1 + spanWhitespace(text, next + 1)
  cursor.pos = next
  return text.slice(start, i)
}

/**
 * Splits an argument string as misc.c `argv_split(s, …, terminate_on_comment = 1)` does: single
 * and double quotes, `\\` `\"` `\'` and (unquoted) `\ ` escapes, `#` at a token start ends it.
 * Returns undefined when a quote is left open.
 */
export function argvSplit(s: string): string[] | undefined {
  const argv: string[] = []
  let i = 0
  while (i < s.length) {
    const c = s.charAt(i)
    if (c === ' ' || c === '\t') {
      i++
      continue
    }
    if (c === '#') break
    let quote = ''
    let arg = ''
    for (; i < s.length; i++) {
      const ch = s.charAt(i)
      const nx = s.charAt(i + 1)
      if (ch === '\\') {
        if (nx === "'" || nx === '"' || nx === '\\' || (quote === '' && nx === ' ')) {
          i++
          arg += nx
        } else {
          arg += ch
        }
      } else if (quote === '' && (ch === ' ' || ch === '\t')) {
        break
      } else if (quote === '' && (ch === '"' || ch === "'")) {
        quote = ch
      } else if (quote !== '' && ch === quote) {
        quote = ''
      } else {
        arg += ch
      }
    }
    argv.push(arg)
    if (i >= s.length && quote !== '') return undefined
  }
  return argv
}

/**
 * Lexes one line (without its `\n`) as `process_config_line_depth()` does; returns null for a
 * blank or comment line and `{ keyword, rest: '' }` for a keyword without an argument.
 */
export function lexLine(raw: string): LexedLine | null {
  // Trailing whitespace and form feeds go, but never the first character (readconf.c's loop).
  let end = raw.length
  while (end > 1 && `${WHITESPACE}\f`.includes(raw.charAt(end - 1))) end--
  const line = raw.slice(0, end)
  if (line.length === 0) return null
  const cursor: Cursor = { text: line, pos: 0 }
  let keyword = strdelim(cursor)
  if (keyword === '') keyword = strdelim(cursor)
  if (keyword === null || keyword === '' || keyword.startsWith('\n') || keyword.startsWith('#')) return null
  const lower = asciiLower(keyword)
  if (cursor.pos === null) return { keyword: lower, rest: '', args: [] }
  const rest = line.slice(cursor.pos + spanWhitespace(line, cursor.pos))
  return { keyword: lower, rest, args: rest === '' ? [] : argvSplit(rest) }
}
