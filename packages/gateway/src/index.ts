/**
 * Gateways as byte streams: one ProxyJump hop (`direct-tcpip`), a ProxyCommand subprocess, and
 * the plan that decides between them (`resolveGateway`, `GatewayConflictError`).
 *
 * @packageDocumentation
 * @module @x/gateway
 */
// The public surface of @x/gateway, listed by hand (no `export *`).
export { openDirectTcpip } from './direct-tcpip.js'
export type { DirectTcpipVia } from './direct-tcpip.js'
export { openProxyCommand } from './open-proxy-command.js'
export type { ProxyCommandOptions } from './open-proxy-command.js'
export { ProxyCommandSocket } from './proxy-command-socket.js'
export { parseProxyJump } from './parse-proxy-jump.js'
export { parseJumpHop, validDomain, type ParsedJumpHop, type JumpHopRules } from './jump-hop.js'
export type { JumpHop } from './parse-proxy-jump.js'
export { expandTokens } from './expand-tokens.js'
export { percentExpand, ExpansionError } from './percent-expand.js'
export type { TokenValues } from './expand-tokens.js'
export { checkHostForCommand, checkUserForCommand } from './check-names.js'
export { resolveGateway } from './resolve-gateway.js'
export type { GatewayPlan, GatewayInputs, ExplicitGateway, SshConfigGateway } from './resolve-gateway.js'
// The errors this package defines, and ConfigError, which it raises from @x/transport's tree.
export { GatewayConflictError } from './gateway-conflict-error.js'
export { ProxyCommandError } from './proxy-command-error.js'
export { isGatewayError, type GatewayError } from './gateway-error.js'
export { ConfigError } from '@x/transport'
