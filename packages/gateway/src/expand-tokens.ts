/**
 * ProxyCommand token expansion, as OpenSSH's `percent_expand()` does it for the tokens a
 * gateway knows (over ./percent-expand.ts): one pass, so a `%` inside a value is never expanded
 * again.
 */
import { ConfigError } from '@x/transport'
import { ExpansionError, percentExpand } from './percent-expand.js'

/** Values of the tokens {@link expandTokens} knows. A token whose value is missing is an error when used. */
export interface TokenValues {
  /** `%h`: the host name to connect to (after ssh_config HostName). */
  readonly h?: string | undefined
  /** `%p`: the port. */
  readonly p?: number | string | undefined
  /** `%r`: the remote user name. */
  readonly r?: string | undefined
  /** `%n`: the host name as the caller wrote it (the alias, before HostName). */
  readonly n?: string | undefined
}

const KNOWN = new Set(['h', 'p', 'r', 'n'])

/**
 * Expands `%h`, `%p`, `%r`, `%n` and `%%` in `template`; OpenSSH's `percent_expand()` for the
 * ProxyCommand tokens. Values are inserted as they are: validate names from API callers first
 * ({@link checkHostForCommand}).
 *
 * @throws TypeError when `template` is not a string.
 * @throws ConfigError for an unknown token (`%x`), a lone `%` at the end, or a token whose value
 *   was not given.
 * @example
 * ```ts
 * expandTokens('nc %h %p', { h: 'db.internal', p: 5432 }) // 'nc db.internal 5432'
 * ```
 */
export function expandTokens(template: string, values: TokenValues): string {
  if (typeof template !== 'string') throw new TypeError('template must be a string')
  const lookup = (token: string): string | undefined => {
    if (!KNOWN.has(token)) return undefined
    const value = values[token as keyof TokenValues]
    if (value === undefined) throw new ConfigError(`token %${token} in ${JSON.stringify(template)} has no value`)
    return String(value)
  }
  try {
    return percentExpand(template, lookup)
  } catch (err) {
    if (err instanceof ExpansionError) {
      throw new ConfigError(`${err.message} in ${JSON.stringify(template)} (known: %h %p %r %n %%)`, {}, { cause: err })
    }
    throw err
  }
}
