/**
 * OpenSSH's `%` token and `${VAR}` expansion (misc.c `vdollar_percent_expand()`), the one copy
 * in the library: {@link expandTokens} here for ProxyCommand, and @x/connection's ssh_config
 * resolver for every keyword ssh.c expands.
 * @internal
 */

/**
 * Raises when an expansion fails: an unknown token, a lone `%` at the end, or a malformed or
 * unset `${VAR}`. Not part of the error tree: callers turn it into a ConfigError naming where
 * the text came from.
 * @internal Shared with @x/connection; not public API.
 */
export class ExpansionError extends Error {
  override readonly name = 'ExpansionError'
}

/**
 * Expands `%x` tokens (when `lookup` is given; `undefined` from it means "unknown token") and
 * `${VAR}` (when `env` is given) in one pass, so nothing inserted is expanded again.
 * @internal Shared with @x/connection; not public API.
 * @throws ExpansionError as described on the class; whatever `lookup` throws.
 */
export function percentExpand(s: string, lookup: ((token: string) => string | undefined) | undefined, env?: NodeJS.ProcessEnv): string {
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i)
    if (env !== undefined && c === '$' && s.charAt(i + 1) === '{') {
      const close = s.indexOf('}', i + 2)
      if (close < 0) throw new ExpansionError(`environment variable '${s.slice(i + 2)}' missing closing '}'`)
      const name = s.slice(i + 2, close)
      if (name === '') throw new ExpansionError('zero-length environment variable')
      const value = env[name]
      if (value === undefined) throw new ExpansionError(`env var \${${name}} has no value`)
      out += value
      i = close
      continue
    }
    if (c !== '%' || lookup === undefined) {
      out += c
      continue
    }
    const t = s.charAt(++i)
    if (t === '%') {
      out += '%'
      continue
    }
    if (t === '') throw new ExpansionError('invalid format: lone "%" at the end')
    const value = lookup(t)
    if (value === undefined) throw new ExpansionError(`unknown token %${t}`)
    out += value
  }
  return out
}
