/**
 * Splits one authorized_keys line the way sshd(8) reads it: leading blanks skipped, `#` and
 * blank lines ignored, then either `keytype base64 [comment]` or `options keytype base64
 * [comment]`, where the options field ends at the first space or tab outside double quotes.
 */

/** One line cut into its fields; nothing is validated here. */
export interface LineFields {
  /** The options field as written, or undefined when the line starts with a key type. */
  readonly options?: string | undefined
  readonly keyType: string
  readonly base64: string
  readonly comment: string
}

/** Why a line could not even be cut into fields. */
export type LexError = 'unterminated-quote' | 'no-key'

const isBlank = (c: string): boolean => c === ' ' || c === '\t'

function skipBlanks(s: string, i: number): number {
  while (i < s.length && isBlank(s.charAt(i))) i++
  return i
}

function token(s: string, i: number): [string, number] {
  let j = i
  while (j < s.length && !isBlank(s.charAt(j))) j++
  return [s.slice(i, j), j]
}

/**
 * Returns the end of the options field starting at `i` (sshkey_advance_past_options()):
 * a backslash-quote pair is skipped whole, a lone quote toggles quoting, and a blank
 * outside quotes ends the field. `undefined` when a quote is never closed.
 */
export function endOfOptions(s: string, i: number): number | undefined {
  let quoted = false
  for (; i < s.length && (quoted || !isBlank(s.charAt(i))); i++) {
    if (s.charAt(i) === '\\' && s.charAt(i + 1) === '"') i++
    else if (s.charAt(i) === '"') quoted = !quoted
  }
  return quoted ? undefined : i
}

/** Tells whether a line is one sshd skips without a word: blank or a `#` comment. */
export function isIgnorable(line: string): boolean {
  const i = skipBlanks(line, 0)
  return i === line.length || line.charAt(i) === '#'
}

/**
 * Cuts a non-ignorable line into fields. `looksLikeKeyType` decides, as sshd's first
 * sshkey_read() attempt does, whether the line starts with a key or with options.
 */
export function lexLine(line: string, looksLikeKeyType: (word: string) => boolean): LineFields | LexError {
  let i = skipBlanks(line, 0)
  let options: string | undefined
  const [first] = token(line, i)
  if (!looksLikeKeyType(first)) {
    const end = endOfOptions(line, i)
    if (end === undefined) return 'unterminated-quote'
    options = line.slice(i, end)
    i = skipBlanks(line, end)
  }
  const [keyType, afterType] = token(line, i)
  const [base64, afterKey] = token(line, skipBlanks(line, afterType))
  if (keyType === '' || base64 === '') return 'no-key'
  const comment = line.slice(skipBlanks(line, afterKey))
  return { options, keyType, base64, comment }
}
