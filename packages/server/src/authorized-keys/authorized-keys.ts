import { KeyError, PublicKey } from '@x/transport'
import { keyTypeKind } from './key-types.js'
import { isIgnorable, lexLine } from './lexer.js'
import { DEFAULT_KEY_OPTIONS, OptionsError, parseKeyOptions } from './options.js'
import { isExpired } from './expiry.js'
import { matchFrom } from './from-match.js'
import { KeyRestrictions } from './restrictions.js'
import type { PermitUserEnvironment } from './restrictions.js'
import type { AuthorizedKeyEntry, RejectedLine } from './entry.js'
import { loadAuthorizedKeysText } from './load.js'
import type { LoadAuthorizedKeysOptions } from './load.js'

/** Options of {@link AuthorizedKeys.parse}. */
export interface ParseAuthorizedKeysOptions {
  /** Names the text in entries and rejected lines (default '<authorized_keys>'). */
  readonly file?: string | undefined
}

/** Who is asking, for {@link AuthorizedKeys.check}. */
export interface AuthorizedKeysContext {
  /** The client's IP address (an IPv4-mapped IPv6 address counts as IPv4, as in sshd). */
  readonly address: string
  /** The client's host name, if the server resolved one; default the address (sshd's `UseDNS no`). */
  readonly hostname?: string | undefined
  /** The time to judge `expiry-time=` against; default now. */
  readonly now?: Date | undefined
  /** sshd's PermitUserEnvironment for `environment=`; default false. */
  readonly permitUserEnvironment?: PermitUserEnvironment | undefined
}

/** A line that holds the key but refused this login. */
export interface KeyRefusal {
  /** The line that holds the key. */
  readonly entry: AuthorizedKeyEntry
  /** 'from': not a permitted host; 'from-invalid': a malformed from= list; 'expired': past expiry-time. */
  readonly reason: 'from' | 'from-invalid' | 'expired'
}

/** The verdict of {@link AuthorizedKeys.check}. */
export type AuthorizedKeysDecision =
  | {
      /** The key may log in. */
      readonly accepted: true
      /** The line that accepted it. */
      readonly entry: AuthorizedKeyEntry
      /** What the session may do: hand this to the dispatch. */
      readonly restrictions: KeyRestrictions
    }
  | {
      /** The key may not log in. */
      readonly accepted: false
      /** 'not-listed': no usable line holds the key; 'refused': every line holding it refused (see refusals). */
      readonly reason: 'not-listed' | 'refused'
      /** Each line that held the key and why it refused, in file order. */
      readonly refusals: readonly KeyRefusal[]
    }

/**
 * Holds a parsed authorized_keys file (sshd(8) AUTHORIZED_KEYS FILE FORMAT) and decides which
 * keys may log in and with which restrictions. paramiko has none: its `check_auth_publickey`
 * leaves the file to the application.
 *
 * @example
 * ```ts
 * const keys = await AuthorizedKeys.load('/home/git/.ssh/authorized_keys')
 * const d = keys.check(offeredKey, { address: '203.0.113.7' })
 * if (d.accepted) useRestrictions(d.restrictions)
 * ```
 */
export class AuthorizedKeys {
  /** The usable lines, in file order. */
  readonly entries: readonly AuthorizedKeyEntry[]
  /** The lines no key can match (unknown options, unknown key types, bad base64), in file order. */
  readonly rejected: readonly RejectedLine[]

  private constructor(entries: AuthorizedKeyEntry[], rejected: RejectedLine[]) {
    this.entries = Object.freeze(entries)
    this.rejected = Object.freeze(rejected)
    Object.freeze(this)
  }

  /**
   * Parses authorized_keys text. Never throws on content: a bad line goes to {@link rejected}.
   *
   * @throws TypeError when `text` is not a string.
   */
  static parse(text: string, options: ParseAuthorizedKeysOptions = {}): AuthorizedKeys {
    if (typeof text !== 'string') throw new TypeError('AuthorizedKeys.parse expects a string')
    const source = options.file ?? '<authorized_keys>'
    const entries: AuthorizedKeyEntry[] = []
    const rejected: RejectedLine[] = []
    text.split('\n').forEach((raw, index) => {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw
      if (isIgnorable(line)) return
      const result = parseLine(line, source, index + 1)
      if ('kind' in result) rejected.push(result)
      else entries.push(result)
    })
    return new AuthorizedKeys(entries, rejected)
  }

  /**
   * Reads and parses an authorized_keys file, refusing (as sshd's `StrictModes yes`, on by
   * default here) a file or directory on its path that is group- or world-writable or owned
   * by someone other than the user or root.
   *
   * @throws Error with `code: 'ERR_AUTHORIZED_KEYS_MODES'` when StrictModes refuses the file.
   * @throws the `fs` error (ENOENT, EACCES…) when the file cannot be read.
   */
  static async load(path: string, options: LoadAuthorizedKeysOptions = {}): Promise<AuthorizedKeys> {
    return AuthorizedKeys.parse(await loadAuthorizedKeysText(path, options), { file: path })
  }

  /**
   * Decides a publickey login: the first line holding `key` (equal wire blob; a
   * `cert-authority` line never matches a plain key) whose `from=` and `expiry-time=` hold.
   * As sshd, a refusing line does not end the search: a later line with the same key may accept.
   */
  check(key: PublicKey, context: AuthorizedKeysContext): AuthorizedKeysDecision {
    const now = context.now ?? new Date()
    const refusals: KeyRefusal[] = []
    for (const entry of this.entries) {
      if (entry.options.certAuthority || !entry.key.equals(key)) continue
      const refusal = refuse(entry, context, now)
      if (refusal !== undefined) {
        refusals.push({ entry, reason: refusal })
        continue
      }
      const restrictions = KeyRestrictions.fromOptions(entry.options, {
        permitUserEnvironment: context.permitUserEnvironment,
      })
      return { accepted: true, entry, restrictions }
    }
    return { accepted: false, reason: refusals.length > 0 ? 'refused' : 'not-listed', refusals }
  }

  /** Returns the entry {@link check} accepts for `key`, or undefined (see `check` for why). */
  find(key: PublicKey, context: AuthorizedKeysContext): AuthorizedKeyEntry | undefined {
    const decision = this.check(key, context)
    return decision.accepted ? decision.entry : undefined
  }
}

function refuse(entry: AuthorizedKeyEntry, context: AuthorizedKeysContext, now: Date): KeyRefusal['reason'] | undefined {
  // sshd's auth_authorise_keyopts(): expiry first, then from=.
  if (isExpired(entry.options.expiresAtMs, now)) return 'expired'
  const from = entry.options.from
  if (from !== undefined) {
    const verdict = matchFrom(from, context.address, context.hostname)
    if (verdict === 'invalid') return 'from-invalid'
    if (verdict === 'deny') return 'from'
  }
  return undefined
}

function parseLine(text: string, source: string, line: number): AuthorizedKeyEntry | RejectedLine {
  const reject = (kind: RejectedLine['kind'], reason: string): RejectedLine => ({ source, line, kind, reason })
  const fields = lexLine(text, (word) => keyTypeKind(word) !== 'unknown')
  if (fields === 'unterminated-quote') return reject('bad-options', 'unterminated quote in options')
  if (fields === 'no-key') {
    return text.split(/[ \t]+/).every((word) => keyTypeKind(word) === 'unknown')
      ? reject('unknown-key-type', 'no known key type in the line')
      : reject('bad-key', 'a key type without its base64 key')
  }
  const kind = keyTypeKind(fields.keyType)
  if (kind === 'unknown') return reject('unknown-key-type', `unknown key type ${JSON.stringify(fields.keyType)}`)
  if (kind === 'unsupported') return reject('unsupported-key-type', `unsupported key type ${fields.keyType}`)
  const options = fields.options === undefined ? DEFAULT_KEY_OPTIONS : parseKeyOptions(fields.options)
  if (options instanceof OptionsError) return reject('bad-options', `${options.message} at offset ${options.offset}`)
  let key: PublicKey
  try {
    key = PublicKey.parse(`${fields.keyType} ${fields.base64}`)
  } catch (err) {
    if (err instanceof KeyError) return reject('bad-key', err.message)
    throw err
  }
  return Object.freeze({ source, line, key, options, comment: fields.comment })
}
