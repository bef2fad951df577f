/**
 * ProxyJump specs (`ssh -J`, ssh_config ProxyJump), as readconf.c `parse_jump()` and
 * `parse_ssh_uri()` read them (each hop through ./jump-hop.ts), with stricter checks around.
 */
import { ConfigError } from '@x/transport'
import { parseJumpHop } from './jump-hop.js'

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
 * Differences from OpenSSH: `host:` (empty port) is an error, a port is digits only (no service
 * names), whitespace and control characters are refused anywhere in a hop, and the URI form also
 * accepts a bracketed IPv6 address.
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

/** The port text OpenSSH would read with a2port(), narrowed to 1–65535 in digits. */
function strictPort(text: string): number {
  const port = /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN
  return port >= 1 && port <= 65535 ? port : -1
}

function parseHop(item: string, spec: string): JumpHop {
  if (item === '') throw new ConfigError(`invalid ProxyJump ${JSON.stringify(spec)}: empty hop`)
  if (BAD_IN_USER.test(item)) throw fail(spec, item, 'has whitespace or a control character')
  if (item.endsWith(':')) throw fail(spec, item, 'has an empty port')
  const hop = parseJumpHop(item, { port: strictPort, bracketedUriHost: true })
  if (hop === undefined) throw fail(spec, item, 'is not [user@]host[:port] or ssh://[user@]host[:port] (port 1–65535)')
  const { user, host, port } = hop
  if (user !== undefined && (user === '' || BAD_IN_USER.test(user))) throw fail(spec, item, 'has an empty user, or whitespace or a control character in it')
  if (host === '') throw fail(spec, item, 'has an empty host')
  if (BAD_IN_HOST.test(host)) throw fail(spec, item, 'has whitespace, a control character or a delimiter in its host')
  return { ...(user === undefined ? {} : { user }), host, ...(port <= 0 ? {} : { port }) }
}
