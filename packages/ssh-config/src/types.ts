/** Public types of the ssh_config resolver. */

/**
 * Which config files to read:
 * - `undefined`: OpenSSH's defaults, `~/.ssh/config` then the system file (missing files are fine);
 * - `false`: no files at all;
 * - a path or paths: those files only, each read like `ssh -F file` (a missing one is an error;
 *   the single string `'none'` means no file, as `ssh -F none`);
 * - `{ text, path? }`: that text, read as if it were the user config file `path` (`path` names the
 *   file in errors; relative Includes still resolve against ~/.ssh, as OpenSSH does for every
 *   user config).
 */
export type SshConfigSource = false | string | readonly string[] | { readonly text: string; readonly path?: string | undefined }

/** Options of {@link resolveSshConfig}. */
export interface ResolveSshConfigOptions {
  /** The config files to read (see {@link SshConfigSource}); default: ~/.ssh/config and the system file. */
  readonly config?: SshConfigSource | undefined
  /** Explicit user (from `user@host` or options), like `ssh -l`: beats User from the config and is what `Match user` sees. */
  readonly user?: string | undefined
  /** Explicit port, like `ssh -p`: beats Port from the config. */
  readonly port?: number | undefined
  /**
   * Lets `Match exec` run its command (with $SHELL, or /bin/sh). Default false: a Match line whose
   * exec ssh would run raises ConfigError naming file and line, so a config that depends on a
   * command is never silently mis-resolved, and no command ever runs without this opt-in.
   */
  readonly allowMatchExec?: boolean | undefined
  /** Home directory (`~`, `%d`, ~/.ssh/config); default: the passwd entry's, and $HOME for `~` in Include (as ssh). */
  readonly homeDir?: string | undefined
  /** Local user name (`Match localuser`, `%u`); default: the passwd entry of this process's uid. */
  readonly localUser?: string | undefined
  /** Local host name (`%l`, `%L`, `%C`); default: os.hostname(). */
  readonly localHostname?: string | undefined
  /** The system-wide file; default `/etc/ssh/ssh_config`. */
  readonly systemConfigPath?: string | undefined
  /**
   * Receives each config line that applies to the host but is ignored here (see
   * {@link SshConfigWarning}); `Connection` collects them as `sshConfigWarnings`.
   */
  readonly onWarning?: ((warning: SshConfigWarning) => void) | undefined
  /** Receives one line of text per warning (the same shape as Transport's `debug`). */
  readonly debug?: ((line: string) => void) | undefined
}

/**
 * Why a config line was ignored:
 * - `newer-openssh`: a keyword of OpenSSH after 9.2 (ObscureKeystrokeTiming, ChannelTimeout,
 *   VersionAddendum, WarnWeakCrypto) that means nothing to this library;
 * - `vendor`: a keyword of a vendor's ssh (Apple: UseKeychain, NoHostAuthenticationForProxyCommand,
 *   AppleMultipath);
 * - `ignore-unknown`: a keyword no ssh knows, skipped because `IgnoreUnknown` matches it;
 * - `obsolete`: a keyword OpenSSH itself ignores (deprecated or removed, e.g. UseRoaming).
 */
export type SshConfigWarningReason = 'newer-openssh' | 'vendor' | 'ignore-unknown' | 'obsolete'

/** A config line that applies to the host and was ignored: the keyword (lower-case), where, and why. */
export interface SshConfigWarning {
  /** The keyword as ssh_config spells it, lower-cased (`usekeychain`). */
  readonly keyword: string
  /** The file the line is in (the `path` given with inline text). */
  readonly file: string
  /** The 1-based line number in that file. */
  readonly line: number
  /** Why the line was ignored. */
  readonly reason: SshConfigWarningReason
}

/**
 * A resolved config: lower-case OpenSSH keywords with values exactly as `ssh -G` prints them.
 * Keys that ssh -G prints on several lines or as a space-separated list are `string[]`
 * (identityfile, certificatefile, localforward, remoteforward, dynamicforward, sendenv, setenv,
 * userknownhostsfile, globalknownhostsfile, canonicaldomains, logverbose, permitremoteopen); a
 * key ssh -G does not print (e.g. proxycommand when unset or `none`) is absent.
 */
export type ResolvedSshConfig = Readonly<Record<string, string | readonly string[]>>
