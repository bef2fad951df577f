/**
 * The options field of an authorized_keys line, parsed with sshd's semantics (auth-options.c
 * sshauthopt_parse()): comma-separated, names case-insensitive, values always in double quotes
 * with `\"` the only escape, an unknown option or a stray character rejects the whole line.
 */
import { parseExpiryTime } from './expiry.js'
import { parsePermit } from './permits.js'
import type { Permit } from './permits.js'

/** The options of one authorized_keys line, after parsing; frozen. */
export interface KeyOptions {
  /** `restrict` was given (every flag below off unless re-enabled after it). */
  readonly restrict: boolean
  /** `cert-authority`: the key is a CA for user certificates; never matches a plain key. */
  readonly certAuthority: boolean
  /** Port forwarding (`no-port-forwarding`, `restrict`, `port-forwarding`). Default true. */
  readonly portForwarding: boolean
  /** Agent forwarding (`no-agent-forwarding`, `restrict`, `agent-forwarding`). Default true. */
  readonly agentForwarding: boolean
  /** X11 forwarding (`no-X11-forwarding`, `restrict`, `X11-forwarding`). Default true. */
  readonly x11Forwarding: boolean
  /** PTY allocation (`no-pty`, `restrict`, `pty`). Default true. */
  readonly pty: boolean
  /** Running ~/.ssh/rc (`no-user-rc`, `restrict`, `user-rc`). Default true. */
  readonly userRc: boolean
  /** Security keys must see a touch; `no-touch-required` clears it. Default true. */
  readonly touchRequired: boolean
  /** `verify-required`: security keys must verify the user (PIN). Default false. */
  readonly verifyRequired: boolean
  /** `command="…"`: the forced command. */
  readonly command?: string | undefined
  /** `principals="…"`: the principals a certificate must name (with `cert-authority`). */
  readonly principals?: string | undefined
  /** `from="…"`: the pattern list the client's address or name must match. */
  readonly from?: string | undefined
  /** `expiry-time="…"` in ms since the epoch: refused after this instant; the earliest of several. */
  readonly expiresAtMs?: number | undefined
  /** `environment="NAME=value"` strings, in order; the first one of a name wins. */
  readonly environment: readonly string[]
  /** `permitopen="host:port"` entries; empty: no permitopen restriction. */
  readonly permitOpen: readonly Permit[]
  /** `permitlisten="[host:]port"` entries; empty: no permitlisten restriction. */
  readonly permitListen: readonly Permit[]
  /** `tunnel="n"`: the forced tun device, or 'any'. */
  readonly tunnel?: number | 'any' | undefined
}

/** The options of a line without an options field. */
export const DEFAULT_KEY_OPTIONS: KeyOptions = Object.freeze({
  restrict: false,
  certAuthority: false,
  portForwarding: true,
  agentForwarding: true,
  x11Forwarding: true,
  pty: true,
  userRc: true,
  touchRequired: true,
  verifyRequired: false,
  environment: Object.freeze([]),
  permitOpen: Object.freeze([]),
  permitListen: Object.freeze([]),
})

/** Why an options field was rejected. */
export class OptionsError {
  /** Says what was wrong, in sshd's words where it has some. */
  readonly message: string
  /** The character offset in the options field where parsing stopped. */
  readonly offset: number
  constructor(message: string, offset: number) {
    this.message = message
    this.offset = offset
  }
}

// OpenSSH's caps: SSH_AUTHOPT_ENV_MAX and SSH_AUTHOPT_PERMIT_MAX.
const ENV_MAX = 1024
const PERMIT_MAX = 4096

type Flag = 'portForwarding' | 'agentForwarding' | 'x11Forwarding' | 'pty' | 'userRc' | 'touchRequired' | 'verifyRequired'

// Negatable flags, in the order sshd tries them (opt_flag() with allow_negate).
const FLAGS: ReadonlyArray<readonly [string, Flag]> = [
  ['port-forwarding', 'portForwarding'],
  ['agent-forwarding', 'agentForwarding'],
  ['x11-forwarding', 'x11Forwarding'],
  ['touch-required', 'touchRequired'],
  ['verify-required', 'verifyRequired'],
  ['pty', 'pty'],
  ['user-rc', 'userRc'],
]

class Cursor {
  pos = 0
  constructor(readonly s: string) {}
  /** Consumes `word` (case-insensitive) when the text here starts with it. */
  take(word: string): boolean {
    if (this.s.slice(this.pos, this.pos + word.length).toLowerCase() !== word) return false
    this.pos += word.length
    return true
  }
  /** Consumes `name=` (case-insensitive). */
  takeValued(name: string): boolean {
    if (this.s.charAt(this.pos + name.length) !== '=') return false
    if (!this.take(name)) return false
    this.pos++
    return true
  }
  /** Reads a double-quoted value; only `\"` is an escape (opt_dequote()). */
  dequote(): string {
    if (this.s.charAt(this.pos) !== '"') throw new OptionsError('missing start quote', this.pos)
    let out = ''
    let i = this.pos + 1
    while (i < this.s.length && this.s.charAt(i) !== '"') {
      if (this.s.charAt(i) === '\\' && this.s.charAt(i + 1) === '"') i++
      out += this.s.charAt(i++)
    }
    if (i >= this.s.length) throw new OptionsError('missing end quote', this.pos)
    this.pos = i + 1
    return out
  }
}

/**
 * Parses an options field. Returns the frozen {@link KeyOptions} or an {@link OptionsError}
 * (the line is then rejected, as sshd rejects it).
 */
export function parseKeyOptions(field: string): KeyOptions | OptionsError {
  try {
    return parseOrThrow(field)
  } catch (err) {
    if (err instanceof OptionsError) return err
    throw err
  }
}

function parseOrThrow(field: string): KeyOptions {
  const o: { -readonly [K in keyof KeyOptions]: KeyOptions[K] } = {
    ...DEFAULT_KEY_OPTIONS,
    environment: [],
    permitOpen: [],
    permitListen: [],
  }
  const env = o.environment as string[]
  const c = new Cursor(field)
  while (c.pos < field.length) {
    const at = c.pos
    const seen = (what: string): never => {
      throw new OptionsError(`multiple "${what}" clauses`, at)
    }
    if (c.take('restrict')) {
      o.restrict = true
      o.portForwarding = o.agentForwarding = o.x11Forwarding = o.pty = o.userRc = false
    } else if (c.take('cert-authority')) {
      o.certAuthority = true
    } else if (takeFlag(c, o)) {
      // set by takeFlag
    } else if (c.takeValued('command')) {
      if (o.command !== undefined) seen('command')
      o.command = c.dequote()
    } else if (c.takeValued('principals')) {
      if (o.principals !== undefined) seen('principals')
      o.principals = c.dequote()
    } else if (c.takeValued('from')) {
      if (o.from !== undefined) seen('from')
      o.from = c.dequote()
    } else if (c.takeValued('expiry-time')) {
      const when = parseExpiryTime(c.dequote())
      if (when === undefined) throw new OptionsError('invalid expires time', at)
      if (o.expiresAtMs === undefined || when.getTime() < o.expiresAtMs) o.expiresAtMs = when.getTime()
    } else if (c.takeValued('environment')) {
      if (env.length > ENV_MAX) throw new OptionsError('too many environment strings', at)
      const value = c.dequote()
      const eq = value.indexOf('=')
      if (eq <= 0 || !/^[A-Za-z0-9_]+$/.test(value.slice(0, eq))) {
        throw new OptionsError('invalid environment string', at)
      }
      const prefix = value.slice(0, eq + 1)
      if (!env.some((e) => e.startsWith(prefix))) env.push(value)
    } else if (c.takeValued('permitopen') || c.takeValued('permitlisten')) {
      const listen = field.charAt(at + 6).toLowerCase() === 'l'
      const list = (listen ? o.permitListen : o.permitOpen) as Permit[]
      if (list.length > PERMIT_MAX) throw new OptionsError(`too many ${listen ? 'permitlisten' : 'permitopen'} entries`, at)
      const permit = parsePermit(c.dequote(), listen)
      if (typeof permit === 'string') throw new OptionsError(permit, at)
      list.push(permit)
    } else if (c.takeValued('tunnel')) {
      const value = c.dequote()
      if (value.toLowerCase() === 'any') o.tunnel = 'any'
      else if (/^[0-9]+$/.test(value) && Number(value) <= 0x7fffffff - 2) o.tunnel = Number(value)
      else throw new OptionsError('invalid tun device', at)
    }
    // Whatever follows must be a comma. sshd parses the options in place, in the line, so
    // the key follows a trailing comma: its "end-of-options" failure never fires on a real
    // line, and empty options (`a,,b`, a leading or trailing comma) are accepted, as real sshd
    // 9.2 does (see the differential test).
    if (c.pos >= field.length) break
    if (field.charAt(c.pos) !== ',') throw new OptionsError('unknown key option', c.pos)
    c.pos++
  }
  Object.freeze(o.environment)
  Object.freeze(o.permitOpen)
  Object.freeze(o.permitListen)
  return Object.freeze(o)
}

function takeFlag(c: Cursor, o: { -readonly [K in Flag]: boolean }): boolean {
  for (const [name, key] of FLAGS) {
    const start = c.pos
    const negated = c.take('no-')
    if (c.take(name)) {
      o[key] = !negated
      return true
    }
    c.pos = start
  }
  return false
}
