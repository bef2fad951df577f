/**
 * OpenSSH's ssh_config resolver: `resolveSshConfig(host)` returns what `ssh -G host` prints
 * (OpenSSH 9.2), computed synchronously and without a network — lexing as readconf.c does,
 * Include, Host/Match, `%` tokens, the keyword table and defaults — and OpenSSH's pattern
 * engine (match.c) that Host/Match use, for other code that matches host patterns.
 *
 * @packageDocumentation
 * @module @x/ssh-config
 */
// The public surface of @x/ssh-config, listed by hand (no `export *`).
export { resolveSshConfig } from './resolve.js'
export { expandSshConfigPaths, type ExpandSshConfigPathsOptions } from './expand-paths.js'
export type { ResolvedSshConfig, ResolveSshConfigOptions, SshConfigSource, SshConfigWarning, SshConfigWarningReason } from './types.js'
export { MAX_CONFIG_FILE_BYTES } from './file-safety.js'
export { MAX_INCLUDE_DEPTH } from './read-config.js'
// OpenSSH 9.2's algorithm lists per keyword, as ssh -G assembles them (@x/connection maps a
// changed list onto the Transport's algorithm preferences).
export { CIPHERS, MACS, KEX, KEY_TYPES, type AlgorithmFamily } from './algorithms.js'
// The pattern engine (match.c). It lives in @x/transport because known_hosts matching needs it
// and the transport depends on nothing above it; this package re-exports it as the owner of
// Host/Match semantics.
export { matchPattern, matchPatternList, matchHostname } from '@x/transport'
// The error this package raises. It lives in @x/transport's error tree because @x/gateway
// raises it too (ProxyJump parsing, token expansion) and does not depend on this package.
export { ConfigError } from '@x/transport'
