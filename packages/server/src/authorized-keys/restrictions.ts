/**
 * What an authenticated key may do: the one object the server's channel and request dispatch
 * consults, so no handler can forget an authorized_keys option (DESIGN.md §5).
 */
import { matchPatternList } from '@x/transport'
import { DEFAULT_KEY_OPTIONS } from './options.js'
import type { KeyOptions } from './options.js'
import { permitsListen, permitsOpen } from './permits.js'
import type { Permit } from './permits.js'

/**
 * Whether `environment=` options are applied: sshd's PermitUserEnvironment. `false` (sshd's
 * default) ignores them, `true` applies all, a string is a pattern list of the variable names
 * applied (PermitUserEnvironment's pattern form).
 */
export type PermitUserEnvironment = boolean | string

/** Options of {@link KeyRestrictions.fromOptions}. */
export interface KeyRestrictionsPolicy {
  /** See {@link PermitUserEnvironment}; default false. */
  readonly permitUserEnvironment?: PermitUserEnvironment | undefined
}

interface State {
  readonly portForwarding: boolean
  readonly agentForwarding: boolean
  readonly x11Forwarding: boolean
  readonly pty: boolean
  readonly userRc: boolean
  readonly forcedCommand: string | undefined
  readonly environment: ReadonlyMap<string, string>
  readonly permitOpen: readonly (readonly Permit[])[]
  readonly permitListen: readonly (readonly Permit[])[]
  readonly expiresAtMs: number | undefined
}

/**
 * Holds the restrictions of one authenticated user, immutable. sshd's `struct sshauthopt`
 * as auth_activate_options() installs it; paramiko has no equivalent (its ServerInterface
 * decides every request by hand).
 *
 * @example
 * ```ts
 * const r = decision.restrictions
 * if (!r.allowPty()) return refuse()            // pty-req
 * const command = r.forcedCommand ?? requested  // exec / shell / subsystem
 * ```
 */
export class KeyRestrictions {
  /** Restrictions that restrict nothing: a login that no authorized_keys line constrains. */
  static readonly none: KeyRestrictions = new KeyRestrictions({
    portForwarding: true,
    agentForwarding: true,
    x11Forwarding: true,
    pty: true,
    userRc: true,
    forcedCommand: undefined,
    environment: new Map(),
    permitOpen: [],
    permitListen: [],
    expiresAtMs: undefined,
  })

  readonly #s: State

  private constructor(state: State) {
    this.#s = state
    Object.freeze(this)
  }

  /**
   * Builds the restrictions of a key line's options (sshd's auth_activate_options()).
   * `environment=` values are kept only as `policy.permitUserEnvironment` allows.
   */
  static fromOptions(options: KeyOptions = DEFAULT_KEY_OPTIONS, policy: KeyRestrictionsPolicy = {}): KeyRestrictions {
    const permit = policy.permitUserEnvironment ?? false
    const environment = new Map<string, string>()
    if (permit !== false) {
      for (const entry of options.environment) {
        const eq = entry.indexOf('=')
        const name = entry.slice(0, eq)
        if (permit === true || matchPatternList(name, permit, false) === 1) environment.set(name, entry.slice(eq + 1))
      }
    }
    return new KeyRestrictions({
      portForwarding: options.portForwarding,
      agentForwarding: options.agentForwarding,
      x11Forwarding: options.x11Forwarding,
      pty: options.pty,
      userRc: options.userRc,
      forcedCommand: options.command,
      environment,
      permitOpen: options.permitOpen.length > 0 ? [options.permitOpen] : [],
      permitListen: options.permitListen.length > 0 ? [options.permitListen] : [],
      expiresAtMs: options.expiresAtMs,
    })
  }

  /**
   * Combines the restrictions of two authentication factors (a publickey and another), keeping
   * the most restrictive, as sshd's sshauthopt_merge(): a permission must be granted by both,
   * the earliest expiry wins, and two different forced commands refuse the login (undefined).
   * Environment: the first factor's value of a name wins. permitopen/permitlisten: an open or
   * listen must be allowed by both factors' lists (stricter than sshd, which keeps the first's).
   */
  static combine(first: KeyRestrictions, second: KeyRestrictions): KeyRestrictions | undefined {
    const a = first.#s
    const b = second.#s
    if (a.forcedCommand !== undefined && b.forcedCommand !== undefined && a.forcedCommand !== b.forcedCommand) {
      return undefined
    }
    const environment = new Map(b.environment)
    for (const [k, v] of a.environment) environment.set(k, v)
    const expiresAtMs =
      a.expiresAtMs === undefined ? b.expiresAtMs
      : b.expiresAtMs === undefined ? a.expiresAtMs : Math.min(a.expiresAtMs, b.expiresAtMs)
    return new KeyRestrictions({
      portForwarding: a.portForwarding && b.portForwarding,
      agentForwarding: a.agentForwarding && b.agentForwarding,
      x11Forwarding: a.x11Forwarding && b.x11Forwarding,
      pty: a.pty && b.pty,
      userRc: a.userRc && b.userRc,
      forcedCommand: a.forcedCommand ?? b.forcedCommand,
      environment,
      permitOpen: [...a.permitOpen, ...b.permitOpen],
      permitListen: [...a.permitListen, ...b.permitListen],
      expiresAtMs,
    })
  }

  /** Tells whether a `pty-req` may be granted (`no-pty`, `restrict`). */
  allowPty(): boolean {
    return this.#s.pty
  }

  /** Tells whether `auth-agent-req@openssh.com` may be granted (`no-agent-forwarding`). */
  allowAgentForwarding(): boolean {
    return this.#s.agentForwarding
  }

  /** Tells whether an `x11-req` may be granted (`no-X11-forwarding`). */
  allowX11(): boolean {
    return this.#s.x11Forwarding
  }

  /**
   * Tells whether any port forwarding is allowed (`no-port-forwarding`): direct-tcpip,
   * tcpip-forward and the streamlocal (Unix socket) forms all need it. For TCP, call
   * {@link allowOpen} / {@link allowListen}, which include this check.
   */
  allowPortForwarding(): boolean {
    return this.#s.portForwarding
  }

  /** Tells whether ~/.ssh/rc may run (`no-user-rc`). */
  allowUserRc(): boolean {
    return this.#s.userRc
  }

  /**
   * Tells whether a `direct-tcpip` channel to `host:port` may open (RFC 4254 §7.2): port
   * forwarding allowed and, when `permitopen=` was given, an entry naming this host literally
   * (no DNS lookups, `*` any host) and this port (or `*`).
   */
  allowOpen(host: string, port: number): boolean {
    if (!this.#s.portForwarding) return false
    return this.#s.permitOpen.every((list) => list.some((p) => permitsOpen(p, host, port)))
  }

  /**
   * Tells whether a `tcpip-forward` on `host:port` may be granted (RFC 4254 §7.1): port
   * forwarding allowed and, when `permitlisten=` was given, an entry whose host pattern
   * matches the lower-cased `host` and whose port is this one or `*` (port 0, "pick one",
   * only matches `*`).
   */
  allowListen(host: string, port: number): boolean {
    if (!this.#s.portForwarding) return false
    return this.#s.permitListen.every((list) => list.some((p) => permitsListen(p, host, port)))
  }

  /** The forced command (`command=`): exec, shell and subsystem all run it instead. */
  get forcedCommand(): string | undefined {
    return this.#s.forcedCommand
  }

  /** Variables set by `environment=`, already filtered by PermitUserEnvironment. */
  get environment(): ReadonlyMap<string, string> {
    return new Map(this.#s.environment)
  }

  /** When the key stops being accepted (`expiry-time=`), or undefined. */
  get expiresAt(): Date | undefined {
    return this.#s.expiresAtMs === undefined ? undefined : new Date(this.#s.expiresAtMs)
  }
}
