/**
 * The options being collected while config lines are read: readconf.h's `Options`, with
 * "unset" as `undefined` so that the first value obtained wins.
 */

/** A parsed forward (readconf.h `struct Forward`); `port` -2 marks a Unix socket path. */
export interface Forward {
  readonly listenHost: string | undefined
  readonly listenPort: number
  readonly listenPath: string | undefined
  readonly connectHost: string | undefined
  readonly connectPort: number
  readonly connectPath: string | undefined
}

/** The jump host spec from ProxyJump (readconf.c `parse_jump()`). */
export interface JumpSpec {
  readonly host: string
  readonly user: string | undefined
  readonly port: number
  /** Hops before the last one, as written. */
  readonly extra: string | undefined
}

/** The options read so far; the resolver fills defaults at the end. */
export class OptionState {
  /** Single-valued options by the name ssh -G prints; first value wins. */
  readonly scalars = new Map<string, string | number>()
  /** IdentityFile entries with whether they came from a user config (dedup key). */
  readonly identityFiles: { path: string; user: boolean }[] = []
  readonly certificateFiles: { path: string; user: boolean }[] = []
  readonly localForwards: Forward[] = []
  readonly remoteForwards: Forward[] = []
  readonly sendEnv: string[] = []
  readonly setEnv: string[] = []
  userHostfiles: string[] | undefined
  systemHostfiles: string[] | undefined
  canonicalDomains: string[] | undefined
  permittedCnames: [string, string][] | undefined
  logVerbose: string[] | undefined
  permitRemoteOpen: string[] | undefined
  jump: JumpSpec | 'none' | undefined
  proxyCommand: string | undefined
  forwardAgentPath: string | undefined
  addKeysToAgent: { value: number; lifespan: number } | undefined
  controlPersist: { value: number; timeout: number } | undefined
  rekeyInterval: number | undefined
  tunnelDevice: { local: number; remote: number } | undefined
  ipqos: { interactive: number; bulk: number } | undefined
  /** StreamLocalBindMask is last-value-wins in OpenSSH 9.2 (no "unset" check). */
  streamLocalBindMask: number | undefined
  syslogFacility: string | undefined

  /** Sets a single-valued option unless it is already set; returns whether it was set. */
  setOnce(key: string, value: string | number): boolean {
    if (this.scalars.has(key)) return false
    this.scalars.set(key, value)
    return true
  }

  /** Reads a string option. */
  str(key: string): string | undefined {
    const v = this.scalars.get(key)
    return typeof v === 'string' ? v : undefined
  }

  /** Reads a numeric option. */
  num(key: string): number | undefined {
    const v = this.scalars.get(key)
    return typeof v === 'number' ? v : undefined
  }
}
