/**
 * OpenSSH's rule for names that reach a shell through ProxyCommand tokens (ssh.c
 * `valid_hostname()` / `valid_ruser()`, added after CVE-2023-51385), made stricter: a host name
 * or user given by an API caller must not be able to run anything when `%h`/`%r`/`%n` are
 * expanded into `/bin/sh -c 'exec …'`.
 */
import { ConfigError } from '@x/transport'

/**
 * Characters a shell gives meaning to: quotes, expansions, separators, redirections, grouping,
 * globbing, history, comments and escapes.
 */
const SHELL_META = new Set(['\'', '"', '`', '$', ';', '&', '|', '<', '>', '(', ')', '{', '}', '[', ']', '*', '?', '!', '~', '#', '\\', '^'])

/** Returns why `value` is unsafe in a shell command, or undefined when it is safe. */
function unsafeReason(value: string): string | undefined {
  if (value.startsWith('-')) return 'it starts with "-"'
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0
    if (code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0)) return 'it contains a control character'
    if (/\s/u.test(ch)) return 'it contains whitespace'
    if (SHELL_META.has(ch)) return `it contains the shell metacharacter ${JSON.stringify(ch)}`
  }
  return undefined
}

/**
 * Checks that a host name given by an API caller is safe to expand into a ProxyCommand as
 * `%h` or `%n`: not empty, no shell metacharacter (`'"\`$;&|<>(){}[]*?!~#\^`), no whitespace,
 * no control character, no leading `-`. IPv6 literals (`::1`, `fe80::1%eth0`) pass; write
 * them without brackets. Values from ssh_config need no check (OpenSSH trusts them too).
 *
 * @throws TypeError when `host` is not a string.
 * @throws ConfigError when `host` is empty or unsafe; nothing has run yet.
 * @example
 * ```ts
 * checkHostForCommand('bastion.example.com') // ok
 * checkHostForCommand('a;touch /tmp/x')      // ConfigError
 * ```
 */
export function checkHostForCommand(host: string): void {
  if (typeof host !== 'string') throw new TypeError('host must be a string')
  if (host === '') throw new ConfigError('host name is empty')
  const why = unsafeReason(host)
  if (why !== undefined) throw new ConfigError(`host name ${JSON.stringify(host)} is not allowed where a ProxyCommand may run: ${why}`)
}

/**
 * Checks that a user name given by an API caller is safe to expand into a ProxyCommand as `%r`:
 * the same characters as {@link checkHostForCommand} are refused. An empty user passes (it
 * expands to nothing), as OpenSSH's `valid_ruser()` lets it pass.
 *
 * @throws TypeError when `user` is not a string.
 * @throws ConfigError when `user` is unsafe; nothing has run yet.
 */
export function checkUserForCommand(user: string): void {
  if (typeof user !== 'string') throw new TypeError('user must be a string')
  const why = unsafeReason(user)
  if (why !== undefined) throw new ConfigError(`user name ${JSON.stringify(user)} is not allowed where a ProxyCommand may run: ${why}`)
}
