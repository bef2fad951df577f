// The ssh_config resolver's public surface, listed by hand (no `export *`).
export { resolveSshConfig } from './resolve.js'
export { expandSshConfigPaths, type ExpandSshConfigPathsOptions } from './expand-paths.js'
export type { ResolvedSshConfig, ResolveSshConfigOptions, SshConfigSource, SshConfigWarning, SshConfigWarningReason } from './types.js'
export { MAX_CONFIG_FILE_BYTES } from './file-safety.js'
export { MAX_INCLUDE_DEPTH } from './read-config.js'
