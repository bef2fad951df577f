/**
 * LocalForward / RemoteForward / DynamicForward specs: readconf.c `parse_forward()` and the way
 * `dump_cfg_forwards()` prints them for ssh -G.
 */
import type { Forward } from './option-state.js'
import { a2port } from './numbers.js'
import { expand, ExpansionError } from './tokens.js'

/** The listen/connect port of a Unix socket forward (PORT_STREAMLOCAL). */
export const PORT_STREAMLOCAL = -2
const NI_MAXHOST = 1025
const PATH_MAX_SUN = 108

interface Field {
  arg: string
  isPath: boolean
}

function fields(spec: string): Field[] | undefined {
  const out: Field[] = []
  let s = spec.replace(/^[ \t\n\v\f\r]+/, '')
  for (let n = 0; n < 4 && s !== ''; n++) {
    if (s.startsWith('[')) {
      const close = s.indexOf(']')
      if (close < 0) return undefined
      const after = s.charAt(close + 1)
      if (after !== ':' && after !== '') return undefined
      out.push({ arg: s.slice(1, close), isPath: s.slice(1, close).includes('/') })
      s = s.slice(close + 2)
      continue
    }
    let arg = ''
    let isPath = false
    let i = 0
    for (; i < s.length; i++) {
      const c = s.charAt(i)
      if (c === '\\') {
        if (i + 1 >= s.length) return undefined
        // The escaped character is copied as is: an escaped `/` does not make a path.
        arg += s.charAt(++i)
      } else if (c === '/') {
        isPath = true
        arg += c
      } else if (c === ':') {
        break
      } else {
        arg += c
      }
    }
    out.push({ arg, isPath })
    s = s.slice(i + 1)
  }
  return s === '' ? out : undefined
}

/**
 * Parses a forward spec like `parse_forward()`; `${VAR}` expands first. Returns undefined for a
 * bad spec.
 */
export function parseForward(spec: string, dynamic: boolean, remote: boolean, env: NodeJS.ProcessEnv): Forward | undefined {
  let expanded: string
  try {
    expanded = expand(spec, undefined, env)
  } catch (err) {
    if (err instanceof ExpansionError) return undefined
    throw err
  }
  const f = fields(expanded)
  if (f === undefined) return undefined
  const [a, b, c, d] = f
  let fwd: Forward | undefined
  const mk = (lh: string | undefined, lp: number, lpath: string | undefined, ch: string | undefined, cp: number, cpath: string | undefined): Forward =>
    ({ listenHost: lh, listenPort: lp, listenPath: lpath, connectHost: ch, connectPort: cp, connectPath: cpath })
  if (a !== undefined && b === undefined) {
    fwd = a.isPath ? mk(undefined, PORT_STREAMLOCAL, a.arg, 'socks', 0, undefined) : mk(undefined, a2port(a.arg), undefined, 'socks', 0, undefined)
  } else if (a !== undefined && b !== undefined && c === undefined) {
    if (a.isPath && b.isPath) fwd = mk(undefined, PORT_STREAMLOCAL, a.arg, undefined, PORT_STREAMLOCAL, b.arg)
    else if (b.isPath) fwd = mk(undefined, a2port(a.arg), undefined, undefined, PORT_STREAMLOCAL, b.arg)
    else fwd = mk(a.arg, a2port(b.arg), undefined, 'socks', 0, undefined)
  } else if (a !== undefined && b !== undefined && c !== undefined && d === undefined) {
    if (a.isPath) fwd = mk(undefined, PORT_STREAMLOCAL, a.arg, b.arg, a2port(c.arg), undefined)
    else if (c.isPath) fwd = mk(a.arg, a2port(b.arg), undefined, undefined, PORT_STREAMLOCAL, c.arg)
    else fwd = mk(undefined, a2port(a.arg), undefined, b.arg, a2port(c.arg), undefined)
  } else if (a !== undefined && b !== undefined && c !== undefined && d !== undefined) {
    fwd = mk(a.arg, a2port(b.arg), undefined, c.arg, a2port(d.arg), undefined)
  }
  if (fwd === undefined) return undefined
  const n = f.length
  if (dynamic) {
    if (n !== 1 && n !== 2) return undefined
  } else {
    if (n !== 3 && n !== 4 && fwd.connectPath === undefined && fwd.listenPath === undefined) return undefined
    if (fwd.connectPort <= 0 && fwd.connectPath === undefined) return undefined
  }
  if ((fwd.listenPort < 0 && fwd.listenPath === undefined) || (!remote && fwd.listenPort === 0)) return undefined
  if ((fwd.connectHost?.length ?? 0) >= NI_MAXHOST || (fwd.listenHost?.length ?? 0) >= NI_MAXHOST) return undefined
  if ((fwd.connectPath?.length ?? 0) >= PATH_MAX_SUN || (fwd.listenPath?.length ?? 0) >= PATH_MAX_SUN) return undefined
  return fwd
}

/** Tells whether two forwards are the same (misc.c `forward_equals()`), for OpenSSH's dedup. */
export function forwardEquals(a: Forward, b: Forward): boolean {
  return a.listenHost === b.listenHost && a.listenPort === b.listenPort && a.listenPath === b.listenPath &&
    a.connectHost === b.connectHost && a.connectPort === b.connectPort && a.connectPath === b.connectPath
}

/** Formats a forward as ssh -G prints it (without the keyword). */
export function formatForward(f: Forward, dynamic: boolean): string {
  const side = (host: string | undefined, port: number, path: string | undefined): string =>
    port === PORT_STREAMLOCAL ? String(path) : host === undefined ? String(port) : `[${host}]:${port}`
  const listen = side(f.listenHost, f.listenPort, f.listenPath)
  return dynamic ? listen : `${listen} ${side(f.connectHost, f.connectPort, f.connectPath)}`
}
