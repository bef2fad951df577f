/**
 * ProxyJump specs as readconf.c `parse_jump()` reads them from a config line and as ssh -G
 * prints them (`dump_client_config()`).
 */
import type { JumpSpec } from './option-state.js'
import { a2port } from './numbers.js'

/** Parses one `[user@]host[:port]` or `ssh://[user@]host[:port]` hop; undefined when invalid. */
export function parseHop(s: string): { user: string | undefined; host: string; port: number } | undefined {
  if (s.startsWith('ssh://')) return parseSshUri(s.slice(6))
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
    port = a2port(hp.rest)
    if (port <= 0) return undefined
  }
  return { user, host: cleanHost(hp.host), port }
}

/** misc.c `hpdelim2()`: splits host from what follows `:` or `/`, honouring `[v6]`. */
function splitHostPort(s: string): { host: string; rest: string | undefined; delim: string } | undefined {
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

function cleanHost(h: string): string {
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h
}

function parseSshUri(uri: string): { user: string | undefined; host: string; port: number } | undefined {
  let rest = uri
  let user: string | undefined
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
  const host = cleanHost(hp.host)
  if (!validDomain(host)) return undefined
  let port = -1
  let tail = hp.rest
  if (tail !== undefined && tail !== '' && hp.delim === ':') {
    const slash = tail.indexOf('/')
    port = a2port(slash < 0 ? tail : tail.slice(0, slash))
    if (port <= 0) return undefined
    tail = slash < 0 ? undefined : tail.slice(slash + 1)
  }
  // A path is not allowed in a ProxyJump URI.
  if (tail !== undefined && tail !== '') return undefined
  return { user, host, port }
}

function urlDecode(s: string): string | undefined {
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i)
    if (c === '+') out += ' '
    else if (c === '%') {
      const hex = s.slice(i + 1, i + 3)
      if (!/^[0-9a-fA-F]{2}$/.test(hex) || hex === '00') return undefined
      out += String.fromCharCode(parseInt(hex, 16))
      i += 2
    } else out += c
  }
  return out
}

/** misc.c `valid_domain()` without lower-casing. */
export function validDomain(name: string): boolean {
  if (name === '' || !/^[A-Za-z0-9]/.test(name)) return false
  if (name.includes('..')) return false
  return /^[A-Za-z0-9._-]+$/.test(name)
}

/**
 * Parses a ProxyJump value (the raw rest of the line); undefined when a hop is invalid, 'none'
 * for `none`. The last hop is the jump host; the ones before it are kept as written.
 */
export function parseJump(value: string): JumpSpec | 'none' | undefined {
  if (value.toLowerCase() === 'none') return 'none'
  const hash = value.indexOf('#')
  const orig = (hash < 0 ? value : value.slice(0, hash)).replace(/[ \t\r\n]+$/, '')
  const hops = orig.split(',')
  let last: ReturnType<typeof parseHop>
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = parseHop(hops[i] ?? '')
    if (hop === undefined) return undefined
    if (i === hops.length - 1) last = hop
  }
  if (last === undefined) return undefined
  const comma = orig.lastIndexOf(',')
  return { host: last.host, user: last.user, port: last.port, extra: comma < 0 ? undefined : orig.slice(0, comma) }
}

/** Formats a jump spec as ssh -G's `proxyjump` line value. */
export function formatJump(j: JumpSpec): string {
  const numeric = j.host.includes(':') || /^[0-9.]*$/.test(j.host)
  const host = numeric ? `[${j.host}]` : j.host
  return `${j.extra === undefined ? '' : `${j.extra},`}${j.user === undefined ? '' : `${j.user}@`}${host}${j.port <= 0 ? '' : `:${j.port}`}`
}
