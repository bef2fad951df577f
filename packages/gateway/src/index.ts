// The public surface of @x/gateway, listed by hand (no `export *`).
// The gateway functions land with issue #4; the errors it raises are re-exported now.
export { GatewayConflictError, ProxyCommandError, ConfigError } from '@x/transport'
