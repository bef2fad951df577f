/**
 * The option bags of Connection's session verbs.
 */
import type { PtyOptions } from '@x/transport'

/** The `signal` every async call accepts. */
export interface SignalOption {
  readonly signal?: AbortSignal | undefined
}

/** Options of `exec()` and `shell()`. */
export interface SessionOptions extends SignalOption {
  readonly pty?: boolean | PtyOptions | undefined
  /**
   * Environment variables, sent as RFC 4254 §6.4 `env` requests after those of ssh_config's
   * SendEnv and SetEnv, and winning over them for the same name.
   */
  readonly env?: Readonly<Record<string, string>> | undefined
}

/** `{ signal }` when `options` has one, else `{}` (exactOptionalPropertyTypes-safe). */
export function signalOf(options: SignalOption): SignalOption {
  return options.signal ? { signal: options.signal } : {}
}
