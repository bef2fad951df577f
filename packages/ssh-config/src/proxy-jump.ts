/**
 * ProxyJump specs as readconf.c `parse_jump()` reads them from a config line (each hop through
 * @x/gateway's parseJumpHop) and as ssh -G prints them (`dump_client_config()`).
 */
import { parseJumpHop, type ParsedJumpHop } from '@x/gateway'
import type { JumpSpec } from './option-state.js'
import { a2port } from './numbers.js'

/** Parses one hop as OpenSSH does (@x/gateway's parseJumpHop with a2port: service names too). */
function parseHop(s: string): ParsedJumpHop | undefined {
  return parseJumpHop(s, { port: a2port })
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
