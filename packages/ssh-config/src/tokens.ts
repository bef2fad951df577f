/**
 * `%` token, `${ENV}` and `~` expansion as OpenSSH 9.2 does it (misc.c
 * `vdollar_percent_expand()`, `tilde_expand()`). Which keys get which expansion is decided by
 * the caller, key by key, as ssh.c does.
 */
import { createHash } from 'node:crypto'
import { ExpansionError, percentExpand } from '@x/gateway'

/** Token letter → replacement. */
export type TokenMap = Readonly<Record<string, string>>

export { ExpansionError }

/**
 * Expands `%x` tokens (when `tokens` is given) and `${VAR}` (when `env` is given) the way
 * `vdollar_percent_expand()` does (@x/gateway's percentExpand); throws ExpansionError for an
 * unknown token, a lone `%` at the end or a malformed or unset variable.
 */
export function expand(s: string, tokens: TokenMap | undefined, env?: NodeJS.ProcessEnv): string {
  return percentExpand(s, tokens === undefined ? undefined : (t) => (Object.hasOwn(tokens, t) ? tokens[t] : undefined), env)
}

/**
 * Expands a leading `~` or `~/` to `home` (misc.c `tilde_expand()` for the current user);
 * `~user` is resolved through `userHome`, and an unknown user throws ExpansionError.
 */
export function expandTilde(path: string, home: string, userHome: (user: string) => string | undefined): string {
  if (!path.startsWith('~')) return path
  const body = path.slice(1)
  let dir = home
  let rest: string
  if (body === '' || body.startsWith('/')) {
    rest = body.replace(/^\/+/, '')
  } else {
    const slash = body.indexOf('/')
    const user = slash < 0 ? body : body.slice(0, slash)
    rest = slash < 0 ? '' : body.slice(slash + 1).replace(/^\/+/, '')
    const found = userHome(user)
    if (found === undefined) throw new ExpansionError(`No such user ${user}`)
    dir = found
  }
  const sep = dir === '' || !dir.endsWith('/') ? '/' : ''
  return `${dir}${sep}${rest}`
}

/** Computes `%C`: hex SHA-1 of local host name, remote host, port and remote user (readconf.c). */
export function connectionHash(localHost: string, host: string, port: string, user: string): string {
  return createHash('sha1').update(localHost).update(host).update(port).update(user).digest('hex')
}

/** What ssh.c's `DEFAULT_CLIENT_PERCENT_EXPAND_ARGS` is built from. */
export interface ClientTokenInput {
  readonly localHostname: string
  readonly host: string
  readonly hostArg: string
  readonly port: number
  readonly user: string
  readonly localUser: string
  readonly homeDir: string
  readonly uid: number
  readonly hostKeyAlias: string | undefined
}

/** Builds ssh.c's default client token set: %C %L %i %k %l %n %p %d %h %r %u. */
export function clientTokens(c: ClientTokenInput): TokenMap {
  const port = String(c.port)
  return {
    C: connectionHash(c.localHostname, c.host, port, c.user),
    L: c.localHostname.split('.')[0] ?? '',
    i: String(c.uid),
    k: c.hostKeyAlias ?? c.hostArg,
    l: c.localHostname,
    n: c.hostArg,
    p: port,
    d: c.homeDir,
    h: c.host,
    r: c.user,
    u: c.localUser,
  }
}
