/**
 * ssh_config's SendEnv and SetEnv on session channels, as `ssh` sends them (clientloop.c
 * `client_session2_setup()`): first every local variable whose name matches a SendEnv pattern,
 * then every SetEnv variable; here the `env` option of the call comes last and wins. One
 * RFC 4254 §6.4 `env` request per name; the server's AcceptEnv decides which it keeps (the
 * others are listed in `Result.refusedEnv`).
 * @internal
 */
import { matchPattern } from '@x/transport'

/**
 * SendEnv patterns as resolved (`ssh -G` order, `-pattern` removals already applied by the
 * resolver, as OpenSSH 8.8+ does); a copy.
 */
export function sendEnvFrom(patterns: readonly string[]): readonly string[] {
  return [...patterns]
}

/**
 * SetEnv `NAME=VALUE` entries as resolved (the first SetEnv line that applies wins, and a name
 * repeated on it keeps its first value, as OpenSSH does) into a record; the value is everything
 * after the first `=`.
 */
export function setEnvFrom(entries: readonly string[]): Readonly<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const entry of entries) {
    const eq = entry.indexOf('=')
    if (eq <= 0) continue
    const name = entry.slice(0, eq)
    if (!(name in out)) out[name] = entry.slice(eq + 1)
  }
  return out
}

/**
 * The variables a session channel is given: local variables matching `sendEnv` (each matched
 * by one wildcard pattern, `*` and `?`, case-sensitive: match.c `match_pattern()`), then `setEnv`,
 * then `explicit` (the call's `env` option), a later source replacing an earlier one's value.
 */
export function sessionEnvironment(
  settings: { readonly sendEnv: readonly string[]; readonly setEnv: Readonly<Record<string, string>> },
  explicit: Readonly<Record<string, string>> | undefined,
  local: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const out: Record<string, string> = {}
  if (settings.sendEnv.length > 0) {
    for (const [name, value] of Object.entries(local)) {
      if (value !== undefined && settings.sendEnv.some((pattern) => matchPattern(name, pattern))) out[name] = value
    }
  }
  Object.assign(out, settings.setEnv, explicit)
  return out
}
