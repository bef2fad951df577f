/**
 * One ProxyJump hop as OpenSSH reads it (misc.c `parse_user_host_port()`, `parse_ssh_uri()`,
 * `hpdelim2()` (from @x/transport), `urldecode()`, `valid_domain()`), the one copy in the library:
 * {@link parseProxyJump} here (with its stricter checks around it) and @x/connection's
 * ssh_config ProxyJump (readconf.c `parse_jump()`).
 * @internal
 */
import { cleanHostname, splitHostPort } from '@x/transport'

/**
 * A parsed hop; `port` is -1 when the spec names none.
 * @internal
 */
export interface ParsedJumpHop {
  readonly user: string | undefined
  readonly host: string
  readonly port: number
}

/**
 * How `parseJumpHop` reads what OpenSSH leaves to its caller.
 * @internal
 */
export interface JumpHopRules {
  /** Converts a non-empty port text; a value ≤ 0 refuses the hop (OpenSSH: `a2port()`). */
  readonly port: (text: string) => number
  /** Accepts `ssh://[v6addr]` (OpenSSH refuses it: the URI host must be a valid domain). */
  readonly bracketedUriHost?: boolean | undefined
}

/**
 * Parses one `[user@]host[:port]` or `ssh://[user[;params]@]host[:port][/]` hop; undefined
 * when OpenSSH would refuse it.
 * @internal Shared with @x/connection; not public API.
 */
export function parseJumpHop(s: string, rules: JumpHopRules): ParsedJumpHop | undefined {
  if (s.startsWith('ssh://')) return parseSshUri(s.slice(6), rules)
  let rest = s
  let user: string | undefined
  const at = rest.lastIndexOf('@')
  if (at >= 0) {
    if (at === 0) return undefined
    user = rest.slice(0, at)
    rest = rest.slice(at + 1)
  }
  const hp = splitHostPort(rest)
  if (hp === undefined || hp.host === '' || hp.delim === '/') return undefined
  let port = -1
  if (hp.rest !== undefined && hp.rest !== '') {
    port = rules.port(hp.rest)
    if (port <= 0) return undefined
  }
  return { user, host: cleanHostname(hp.host), port }
}

function parseSshUri(uri: string, rules: JumpHopRules): ParsedJumpHop | undefined {
  let rest = uri
  let user: string | undefined
  // The first `@` ends the userinfo, as in misc.c (a literal `@` in a user is `%40`).
  const at = rest.indexOf('@')
  if (at >= 0) {
    let info = rest.slice(0, at)
    const semi = info.indexOf(';')
    if (semi >= 0) info = info.slice(0, semi)
    if (info === '') return undefined
    user = urlDecode(info)
    if (user === undefined) return undefined
    rest = rest.slice(at + 1)
  }
  const hp = splitHostPort(rest)
  if (hp === undefined || hp.host === '') return undefined
  const host = cleanHostname(hp.host)
  const bracketed = rules.bracketedUriHost === true && hp.host.startsWith('[') && host !== ''
  if (!bracketed && !validDomain(host)) return undefined
  let port = -1
  let tail = hp.rest
  if (tail !== undefined && tail !== '' && hp.delim === ':') {
    const slash = tail.indexOf('/')
    port = rules.port(slash < 0 ? tail : tail.slice(0, slash))
    if (port <= 0) return undefined
    tail = slash < 0 ? undefined : tail.slice(slash + 1)
  }
  // A path is not allowed in a ProxyJump URI.
  if (tail !== undefined && tail !== '') return undefined
  return { user, host, port }
}

/** misc.c `urldecode()`: `+` is a space, `%XX` a byte (never NUL); the bytes read as UTF-8. */
function urlDecode(s: string): string | undefined {
  const bytes: number[] = []
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i)
    if (c === '+') bytes.push(0x20)
    else if (c === '%') {
      const hex = s.slice(i + 1, i + 3)
      if (!/^[0-9a-fA-F]{2}$/.test(hex) || hex === '00') return undefined
      bytes.push(parseInt(hex, 16))
      i += 2
    } else {
      const cp = s.codePointAt(i) ?? 0
      if (cp > 0xffff) i++
      bytes.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'))
    }
  }
  return Buffer.from(bytes).toString('utf8')
}

/**
 * Tells whether `name` is a valid domain name (misc.c `valid_domain()` without lower-casing).
 * @internal Shared with @x/connection; not public API.
 */
export function validDomain(name: string): boolean {
  if (name === '' || !/^[A-Za-z0-9]/.test(name)) return false
  if (name.includes('..')) return false
  return /^[A-Za-z0-9._-]+$/.test(name)
}
