/**
 * ProxyJump specs (`ssh -J`, ssh_config ProxyJump), as readconf.c `parse_jump()` and
 * `parse_ssh_uri()` read them.
 */
import { ConfigError } from '@x/transport'

/** One hop of a ProxyJump list. */
export interface JumpHop {
  /** User for the hop, when the spec names one. */
  readonly user?: string | undefined
  /** Host name or address (IPv6 without brackets). */
  readonly host: string
  /** Port, when the spec names one. */
  readonly port?: number | undefined
}

/** Whitespace, control characters and the characters that delimit a hop. */
const BAD_IN_HOST = /[\s\u0000-\u001f\u007f/@[\]]/u
const BAD_IN_USER = /[\s\u0000-\u001f\u007f]/u

/**
 * Parses a ProxyJump spec into hops in OpenSSH's order: the first is dialled directly and the
 * last is the target's gateway (`ssh -J a,b target`: a, then b, then target). Each
 * comma-separated item is `[user@]host[:port]`, `[user@][v6addr][:port]` or
 * `ssh://[user@]host[:port]`; whitespace around items is trimmed; `none` gives `[]`.
 *
 * Differences from OpenSSH: `host:` (empty port) is an error, and the URI form also accepts a
 * bracketed IPv6 address.
 *
 * @throws TypeError when `spec` is not a string.
 * @throws ConfigError for an empty spec or item, an empty host or user, a port outside 1–65535,
 *   an unclosed `[`, whitespace inside an item, or a URI with a path.
 * @example
 * ```ts
 * parseProxyJump('deploy@bastion:2222, [fd00::5]')
 * // [{ user: 'deploy', host: 'bastion', port: 2222 }, { host: 'fd00::5' }]
 * ```
 */
export function parseProxyJump(spec: string): JumpHop[] {
  if (typeof spec !== 'string') throw new TypeError('ProxyJump spec must be a string')
  const trimmed = spec.trim()
  if (trimmed.toLowerCase() === 'none') return []
  if (trimmed === '') throw new ConfigError('ProxyJump is empty')
  return trimmed.split(',').map((item) => parseHop(item.trim(), spec))
}

function fail(spec: string, item: string, why: string): ConfigError {
  return new ConfigError(`invalid ProxyJump ${JSON.stringify(spec)}: hop ${JSON.stringify(item)} ${why}`)
}

function parseHop(item: string, spec: string): JumpHop {
  if (item === '') throw new ConfigError(`invalid ProxyJump ${JSON.stringify(spec)}: empty hop`)
  if (item.startsWith('ssh://')) return parseUri(item, spec)
  const at = item.lastIndexOf('@')
  const user = at < 0 ? undefined : item.slice(0, at)
  if (user !== undefined) checkUser(user, item, spec)
  const { host, port } = splitHostPort(item.slice(at + 1), item, spec)
  return { ...(user === undefined ? {} : { user }), host, ...(port === undefined ? {} : { port }) }
}

function checkUser(user: string, item: string, spec: string): void {
  if (user === '') throw fail(spec, item, 'has an empty user')
  if (BAD_IN_USER.test(user)) throw fail(spec, item, 'has whitespace or a control character in its user')
}

/** misc.c `hpdelim2()`: host, then `:port`; `[…]` protects the colons of an IPv6 address. */
function splitHostPort(s: string, item: string, spec: string): { host: string; port: number | undefined } {
  let host: string
  let portText: string | undefined
  if (s.startsWith('[')) {
    const close = s.indexOf(']')
    if (close < 0) throw fail(spec, item, 'has an unclosed "["')
    host = s.slice(1, close)
    const after = s.slice(close + 1)
    if (after !== '' && !after.startsWith(':')) throw fail(spec, item, `has ${JSON.stringify(after)} after "]"`)
    portText = after === '' ? undefined : after.slice(1)
  } else {
    const colon = s.indexOf(':')
    host = colon < 0 ? s : s.slice(0, colon)
    portText = colon < 0 ? undefined : s.slice(colon + 1)
  }
  if (host === '') throw fail(spec, item, 'has an empty host')
  if (BAD_IN_HOST.test(host)) throw fail(spec, item, 'has whitespace, a control character or a delimiter in its host')
  return { host, port: portText === undefined ? undefined : parsePort(portText, item, spec) }
}

function parsePort(text: string, item: string, spec: string): number {
  const port = /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN
  if (!(port >= 1 && port <= 65535)) throw fail(spec, item, `has a bad port ${JSON.stringify(text)} (1–65535)`)
  return port
}

/** `ssh://[user[;params]@]host[:port][/]` (RFC 3986 / draft-ietf-secsh-scp-sftp-ssh-uri). */
function parseUri(item: string, spec: string): JumpHop {
  let rest = item.slice('ssh://'.length)
  const slash = rest.indexOf('/')
  if (slash >= 0) {
    if (slash !== rest.length - 1) throw fail(spec, item, 'is a URI with a path')
    rest = rest.slice(0, slash)
  }
  let user: string | undefined
  const at = rest.lastIndexOf('@')
  if (at >= 0) {
    const info = rest.slice(0, at)
    const semi = info.indexOf(';')
    user = decodeUser(semi < 0 ? info : info.slice(0, semi), item, spec)
    checkUser(user, item, spec)
    rest = rest.slice(at + 1)
  }
  const { host, port } = splitHostPort(rest, item, spec)
  return { ...(user === undefined ? {} : { user }), host, ...(port === undefined ? {} : { port }) }
}

function decodeUser(text: string, item: string, spec: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    throw fail(spec, item, 'has a malformed %-escape in its user')
  }
}
