/**
 * Decides how one host is reached: directly, through a jump chain or through a ProxyCommand; both
 * kinds of gateway for one host is an error. Pure: no I/O, nothing runs.
 */
import { ConfigError } from '@x/transport'
import { GatewayConflictError } from './gateway-conflict-error.js'
import { parseProxyJump, type JumpHop } from './parse-proxy-jump.js'

/** The gateway options an API caller gave for one host. */
export interface ExplicitGateway {
  /** `'connection'`: a gateway Connection was passed (ProxyJump style); `{ proxyCommand }`: Fabric's ProxyCommand string. */
  readonly gateway?: 'connection' | { readonly proxyCommand: string } | undefined
  /** An `ssh -J` style spec; `'none'` turns off any ProxyJump/ProxyCommand from ssh_config. */
  readonly proxyJump?: string | undefined
}

/** The two keys of the host's resolved ssh_config that name a gateway (as `ssh -G` prints them). */
export interface SshConfigGateway {
  readonly proxyjump?: string | undefined
  readonly proxycommand?: string | undefined
}

/** What {@link resolveGateway} decides from. */
export interface GatewayInputs {
  readonly explicit: ExplicitGateway
  readonly sshConfig: SshConfigGateway
}

/** How to reach a host: directly, through jump hops, or through a ProxyCommand. */
export type GatewayPlan =
  | { readonly kind: 'direct' }
  | {
      readonly kind: 'jump'
      /** Where the jump came from: 'option gateway (Connection)', 'option proxyJump' or 'ssh_config ProxyJump'. */
      readonly source: string
      /** The hops of a ProxyJump spec, in OpenSSH order (first dialled directly). */
      readonly hops?: readonly JumpHop[] | undefined
      /** Set when the gateway is the caller's Connection. */
      readonly viaConnection?: true | undefined
    }
  | {
      readonly kind: 'proxy-command'
      /** 'option gateway (ProxyCommand)' or 'ssh_config ProxyCommand'. */
      readonly source: string
      /** The command, tokens not yet expanded. */
      readonly command: string
    }

const OPTION_CONNECTION = 'option gateway (Connection)'
const OPTION_COMMAND = 'option gateway (ProxyCommand)'
const OPTION_JUMP = 'option proxyJump'
const CONFIG_JUMP = 'ssh_config ProxyJump'
const CONFIG_COMMAND = 'ssh_config ProxyCommand'

/** An ssh_config value, with `none` (and empty) meaning unset. */
function configured(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  const v = value.trim()
  return v === '' || v.toLowerCase() === 'none' ? undefined : v
}

function conflict(host: string, a: string, b: string): GatewayConflictError {
  return new GatewayConflictError(`${host} has two kinds of gateway: ${a} and ${b}; use one`, { host, sources: [a, b] })
}

/**
 * Decides the gateway plan of `host` from the caller's options and the host's resolved
 * ssh_config, before any socket opens or process starts. Explicit options beat ssh_config of
 * the same kind; a jump and a ProxyCommand from different places are a conflict (Fabric's rule).
 * Inside ssh_config the resolver has already applied OpenSSH's "first obtained
 * wins" and `none`; a `none` value here counts as unset. `proxyJump: 'none'` is OpenSSH's
 * `-J none`: no gateway from ssh_config at all (an explicit ProxyCommand still applies).
 *
 * Sources, in `GatewayConflictError.sources` order (explicit first): 'option gateway
 * (Connection)', 'option gateway (ProxyCommand)', 'option proxyJump', 'ssh_config ProxyJump',
 * 'ssh_config ProxyCommand'.
 *
 * @throws GatewayConflictError for an explicit jump with an explicit ProxyCommand, an explicit
 *   jump with ssh_config ProxyCommand, or an explicit ProxyCommand with ssh_config ProxyJump.
 * @throws ConfigError for a malformed ProxyJump spec, or an ssh_config that gives both ProxyJump
 *   and ProxyCommand (the resolver never prints both).
 * @throws TypeError when both `gateway: 'connection'` and `proxyJump` are given, or an argument
 *   has the wrong type.
 * @example
 * ```ts
 * resolveGateway('db', { explicit: { proxyJump: 'bastion' }, sshConfig: {} })
 * // { kind: 'jump', source: 'option proxyJump', hops: [{ host: 'bastion' }] }
 * ```
 */
export function resolveGateway(host: string, inputs: GatewayInputs): GatewayPlan {
  if (typeof host !== 'string') throw new TypeError('host must be a string')
  const { explicit, sshConfig } = inputs
  const gateway = explicit.gateway
  if (gateway !== undefined && gateway !== 'connection' && typeof gateway?.proxyCommand !== 'string') {
    throw new TypeError("explicit.gateway must be 'connection' or { proxyCommand: string }")
  }
  if (explicit.proxyJump !== undefined && typeof explicit.proxyJump !== 'string') throw new TypeError('explicit.proxyJump must be a string')
  if (gateway === 'connection' && explicit.proxyJump !== undefined) {
    throw new TypeError(`${host}: give either a gateway Connection or proxyJump, not both`)
  }
  const command = typeof gateway === 'object' ? gateway.proxyCommand : undefined
  const hops = explicit.proxyJump === undefined ? undefined : parseProxyJump(explicit.proxyJump)
  const jumpSource = gateway === 'connection' ? OPTION_CONNECTION : hops !== undefined && hops.length > 0 ? OPTION_JUMP : undefined
  const cfgJump = configured(sshConfig.proxyjump)
  const cfgCommand = configured(sshConfig.proxycommand)
  if (cfgJump !== undefined && cfgCommand !== undefined) {
    throw new ConfigError(`${host}: the resolved ssh_config has both ProxyJump and ProxyCommand (inconsistent options)`)
  }

  if (command !== undefined) {
    if (jumpSource !== undefined) throw conflict(host, OPTION_COMMAND, jumpSource)
    if (cfgJump !== undefined) throw conflict(host, OPTION_COMMAND, CONFIG_JUMP)
    return { kind: 'proxy-command', source: OPTION_COMMAND, command }
  }
  if (jumpSource === OPTION_CONNECTION) {
    if (cfgCommand !== undefined) throw conflict(host, jumpSource, CONFIG_COMMAND)
    return { kind: 'jump', source: jumpSource, viaConnection: true }
  }
  if (jumpSource === OPTION_JUMP) {
    if (cfgCommand !== undefined) throw conflict(host, jumpSource, CONFIG_COMMAND)
    return { kind: 'jump', source: jumpSource, hops: hops! }
  }
  // proxyJump 'none' (hops = []) is OpenSSH's -J none: ssh_config's gateways are ignored.
  if (hops !== undefined) return { kind: 'direct' }
  if (cfgJump !== undefined) return { kind: 'jump', source: CONFIG_JUMP, hops: parseProxyJump(cfgJump) }
  if (cfgCommand !== undefined) return { kind: 'proxy-command', source: CONFIG_COMMAND, command: cfgCommand }
  return { kind: 'direct' }
}
