import type { ClientKeys } from './client-keys.js'
import type { HostKey } from './host-keys.js'

/** Describes a running SSH test server (OpenSSH or Dropbear) on 127.0.0.1 and what clients need to reach it. */
export interface SshServerHandle {
  /** 'openssh' or 'dropbear'. */
  readonly kind: 'openssh' | 'dropbear'
  /** Always '127.0.0.1'. */
  readonly host: string
  readonly port: number
  /** The test account's login name. */
  readonly user: string
  /** The test account's password. */
  readonly password: string
  /** PID of the listening daemon. */
  readonly pid: number
  /** The client keys; all but `clientKeys.unauthorized` are authorized for `user`. */
  readonly clientKeys: ClientKeys
  /** Every host key the server offers. */
  readonly hostKeys: readonly HostKey[]
  /** known_hosts lines (`[127.0.0.1]:port type base64`), one per host key. */
  readonly knownHostsLines: readonly string[]
  /** A known_hosts file holding `knownHostsLines`, for `ssh -o UserKnownHostsFile=`. */
  readonly knownHostsFile: string
  /** The server's private temp dir (config, keys, log); removed by `close()`. */
  readonly dir: string
  /** Path of the server's log file. */
  readonly logPath: string
  /** Reads the server's log so far. */
  log(): Promise<string>
  /**
   * Lists the PIDs of the per-connection processes: every live descendant of the daemon,
   * so a test can SIGSTOP or SIGKILL them.
   */
  connectionPids(): Promise<number[]>
  /** Stops the server and every process it started, then removes its temp dir; idempotent. */
  close(): Promise<void>
  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>
}
