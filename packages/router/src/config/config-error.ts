import { SSHError, type SSHErrorOptions } from '@x/transport'

/**
 * Raised for a router config that cannot be used: YAML that does not parse, an unknown key, a
 * value of the wrong kind. The message starts with `file:line:column` of what is wrong and never
 * holds a secret's value (passwords are named, not shown).
 */
export class RouterConfigError extends SSHError {
  override readonly name = 'RouterConfigError' as const
  override readonly code = 'ERR_SSH_ROUTER_CONFIG' as const
  /** The config file, or undefined for a config given as text without a name. */
  readonly file: string | undefined
  /** The 1-based line at fault. */
  readonly line: number
  /** The 1-based column at fault. */
  readonly column: number

  static {
    this.brand('ERR_SSH_ROUTER_CONFIG')
  }

  /** Creates the error for the problem `what` at `line:column` of `file`. */
  constructor(what: string, where: { file?: string | undefined; line: number; column: number }, options?: SSHErrorOptions) {
    super(`${where.file ?? '<config>'}:${where.line}:${where.column}: ${what}`, options)
    this.file = where.file
    this.line = where.line
    this.column = where.column
  }
}
