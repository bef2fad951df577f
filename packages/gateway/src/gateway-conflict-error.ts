import { SSHError, type SSHErrorOptions } from '@x/transport'

/**
 * Raises when one host is given both a jump gateway and a ProxyCommand by different sources (an
 * explicit option and another option or ssh_config), before any socket opens or process starts.
 */
export class GatewayConflictError extends SSHError {
  override readonly name = 'GatewayConflictError' as const
  override readonly code = 'ERR_SSH_GATEWAY_CONFLICT' as const
  /** The host both gateways were configured for. */
  readonly host: string
  /** The two sources, e.g. `['option gateway (Connection)', 'ssh_config ProxyCommand']`. */
  readonly sources: readonly [string, string]

  static {
    this.brand('ERR_SSH_GATEWAY_CONFLICT')
  }

  /** Creates a conflict error. */
  constructor(message: string, fields: { host: string; sources: readonly [string, string] }, options?: SSHErrorOptions) {
    super(message, options)
    this.host = fields.host
    this.sources = fields.sources
  }
}
