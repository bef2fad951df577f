/**
 * OpenSSH's host[:port] splitting (misc.c `hpdelim2()`, `cleanhostname()`), shared by the packages
 * that parse it: @x/gateway (ProxyJump hops), @x/server (authorized_keys permitopen=/permitlisten=).
 */

/**
 * Splits `s` at the first ':' or '/' after the host, a `[…]` host taken whole (misc.c
 * `hpdelim2()`); `rest` is undefined when there is no delimiter, `delim` the one found ('' for none).
 * @returns undefined when a `[` has no `]`, or something other than ':' or '/' follows it.
 * @example
 * ```ts
 * splitHostPort('[::1]:22') // { host: '[::1]', rest: '22', delim: ':' }
 * ```
 */
export function splitHostPort(s: string): { host: string; rest: string | undefined; delim: '' | ':' | '/' } | undefined {
  let end: number
  if (s.startsWith('[')) {
    const close = s.indexOf(']')
    if (close < 0) return undefined
    end = close + 1
  } else {
    const m = /[:/]/.exec(s)
    end = m === null ? s.length : m.index
  }
  const delim = s.charAt(end)
  if (delim === '') return { host: s, rest: undefined, delim }
  if (delim !== ':' && delim !== '/') return undefined
  return { host: s.slice(0, end), rest: s.slice(end + 1), delim }
}

/**
 * Strips the brackets of `[v6addr]` (misc.c `cleanhostname()`).
 * @example
 * ```ts
 * cleanHostname('[::1]') // '::1'
 * ```
 */
export function cleanHostname(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
}
