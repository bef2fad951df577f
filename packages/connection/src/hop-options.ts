/**
 * How a Connection builds the hops of a ProxyJump chain: the host string and options each hop
 * gets, and the hop's place in the chain, passed under a module-private symbol so that it stays
 * out of `ConnectionOptions` and of the published constructor signature.
 * @internal
 */
import type { JumpHop } from '@x/gateway'
import type { ConnectionOptions, ResolvedConnectionOptions } from './connection-options.js'
import type { HopContext } from './gateway-route.js'

/** The key of a hop's {@link HopContext} in the options of a Connection built as a hop. */
const HOP_CONTEXT: unique symbol = Symbol('x.connection.hop')

/** Options of a hop Connection: `options` with the hop's place in the chain. */
export function withHopContext<C>(options: ConnectionOptions, context: HopContext<C>): ConnectionOptions {
  return Object.assign({ ...options }, { [HOP_CONTEXT]: context })
}

/** The hop context a Connection was built with, or undefined for one built by a caller. */
export function hopContextOf<C>(options: ConnectionOptions): HopContext<C> | undefined {
  return (options as { [HOP_CONTEXT]?: HopContext<C> })[HOP_CONTEXT]
}

/** Writes a jump hop back as `[user@]host[:port]` (IPv6 in brackets). */
export function formatHop(hop: JumpHop): string {
  const host = hop.host.includes(':') ? `[${hop.host}]` : hop.host
  return `${hop.user === undefined ? '' : `${hop.user}@`}${host}${hop.port === undefined ? '' : `:${hop.port}`}`
}

/**
 * Options a hop built from ProxyJump inherits: config, keys, agent, host-key policy, keepalive and
 * timeouts. Not the password nor the keyboard-interactive handler: those are for the target
 * (ssh never offers one host's password to another).
 */
export function hopOptions(options: ResolvedConnectionOptions): ConnectionOptions {
  const { password: _password, interactive: _interactive, ...auth } = options.auth ?? {}
  return {
    ...(options.config !== undefined ? { config: options.config } : {}),
    ...(options.allowMatchExec !== undefined ? { allowMatchExec: options.allowMatchExec } : {}),
    ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
    ...(options.hostKeys !== undefined ? { hostKeys: options.hostKeys } : {}),
    ...(options.keepalive !== undefined ? { keepalive: options.keepalive } : {}),
    ...(options.timeouts !== undefined ? { timeouts: options.timeouts } : {}),
    ...(options.debug !== undefined ? { debug: options.debug } : {}),
    auth,
  }
}
