import type { HostKeyVerifier, InteractiveHandler, PrivateKey } from '@x/transport'
import type { Connection } from './connection.js'
import type { SshConfigSource } from '@x/ssh-config'

/** Supplies the passphrase of an encrypted key file; called once per key that needs one. */
export type PassphraseCallback = (keyPath: string) => string | Promise<string>

/** How a {@link Connection} authenticates (paramiko's `SSHClient.connect` arguments, grouped). */
export interface ConnectionAuthOptions {
  /** Tried after keys (password, or keyboard-interactive answered with it). */
  readonly password?: string | undefined
  /**
   * Keys tried first, before the agent and ssh_config's IdentityFile. Paths, key text or loaded
   * keys. A key listed here that cannot be used (unreadable, encrypted with no passphrase, wrong
   * passphrase) raises KeyError; IdentityFile and default keys are skipped instead and listed in
   * `AuthenticationError.skippedKeys` (docs/authentication.md "Keys that cannot be used").
   */
  readonly privateKeys?: ReadonlyArray<PrivateKey | string | Buffer> | undefined
  /** Passphrase for encrypted keys, or a callback asked per key file. */
  readonly passphrase?: string | PassphraseCallback | undefined
  /** Agent socket; `false` never uses an agent. Default: IdentityAgent from ssh_config, else SSH_AUTH_SOCK. */
  readonly agent?: string | false | undefined
  /** Answers keyboard-interactive rounds (2FA codes, PAM prompts). */
  readonly interactive?: InteractiveHandler | undefined
  /** Whether to look for keys in ssh_config's IdentityFile list and OpenSSH's default key files. Default true. */
  readonly lookForKeys?: boolean | undefined
}

/** How a {@link Connection} checks host keys. */
export interface ConnectionHostKeyOptions {
  /** known_hosts files; default: ssh_config's UserKnownHostsFile then GlobalKnownHostsFile. */
  readonly knownHostsFiles?: readonly string[] | undefined
  /**
   * 'strict' rejects unknown keys, 'accept-new' learns them (never a changed one), 'off' accepts
   * anything (insecure), or your own verifier. Default: ssh_config's StrictHostKeyChecking
   * (yes → strict; accept-new and no → accept-new; ask, having no prompt here → strict).
   */
  readonly policy?: 'strict' | 'accept-new' | 'off' | HostKeyVerifier | undefined
  /** Hash learnt entries; default ssh_config's HashKnownHosts. */
  readonly hash?: boolean | undefined
}

/** Options of `new Connection(host, options)`; validated once, never mutated. */
export interface ConnectionOptions {
  /** Login name; overrides the host shorthand and ssh_config's User. */
  readonly user?: string | undefined
  /** Port; overrides the host shorthand and ssh_config's Port. */
  readonly port?: number | undefined
  /** ssh_config: default the user's and the system's files; `false` none; paths; or `{ text }`. */
  readonly config?: SshConfigSource | undefined
  /** Lets `Match exec` in ssh_config run its command (off by default: a config must not run code). */
  readonly allowMatchExec?: boolean | undefined
  /** TCP connect and SSH handshake limit; overrides ssh_config's ConnectTimeout. */
  readonly connectTimeoutMs?: number | undefined
  readonly auth?: ConnectionAuthOptions | undefined
  readonly hostKeys?: ConnectionHostKeyOptions | undefined
  /** Keepalive; default ServerAliveInterval/ServerAliveCountMax from ssh_config, else 15 s × 3. `false` turns it off. */
  readonly keepalive?: { readonly intervalMs: number; readonly countMax?: number | undefined } | false | undefined
  /** How many session channels may be open at once before `run()` and friends queue. Default 10 (sshd's MaxSessions). */
  readonly maxSessions?: number | undefined
  /**
   * Forwards the agent to the server (`ssh -A`): true uses the agent of `auth.agent`, IdentityAgent
   * or SSH_AUTH_SOCK; a string names the socket. Default: ssh_config's ForwardAgent.
   */
  readonly forwardAgent?: boolean | string | undefined
  /**
   * Which sessions forward the agent: `'all'` (default, as `ssh -A`), or `'requested'` — only
   * those whose channel calls `requestAgentForwarding()` before its exec or shell.
   */
  readonly forwardAgentSessions?: 'all' | 'requested' | undefined
  /**
   * How to reach the host: a Connection to jump through (borrowed: it stays open when this one
   * closes), or a ProxyCommand (`%h %p %r %n` expanded; run by /bin/sh). Conflicts with ssh_config
   * or `proxyJump` raise GatewayConflictError: one host never has both a jump and a ProxyCommand.
   */
  readonly gateway?: Connection | string | undefined
  /** Jump hosts as `ssh -J` takes them: 'u@a:2222,b' (a is dialled first, b is the last hop). */
  readonly proxyJump?: string | undefined
  /** Per-phase limits passed to the Transport (auth, channel). */
  readonly timeouts?: { readonly authMs?: number | undefined; readonly channelMs?: number | undefined } | undefined
  /**
   * Receives debug lines, as `ssh -v` prints them: every hop's Transport trace and this
   * Connection's decisions (config read, gateway route, host-key policy and verdict, keys tried
   * and skipped), each line prefixed with its hop, `[user@host:port] `. Hops built from
   * proxyJump or ssh_config's ProxyJump inherit it; a Connection passed as `gateway` keeps its
   * own. Never receives a secret. ssh_config's LogLevel does not turn it on (see
   * docs/authentication.md "Debug lines").
   */
  readonly debug?: ((line: string) => void) | undefined
}

/** Options after validation. @internal */
export interface ResolvedConnectionOptions extends ConnectionOptions {
  readonly maxSessions: number
}

function isMs(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0
}

/** Validates `options` into a frozen copy. @internal */
export function resolveConnectionOptions(options: ConnectionOptions = {}): ResolvedConnectionOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object')
  if (options.user !== undefined && (typeof options.user !== 'string' || options.user === '')) throw new TypeError('user must be a non-empty string')
  if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535)) {
    throw new RangeError('port must be an integer 1–65535')
  }
  if (options.connectTimeoutMs !== undefined && !isMs(options.connectTimeoutMs)) throw new RangeError('connectTimeoutMs must be ≥ 0')
  if (options.gateway !== undefined && typeof options.gateway !== 'string' && (typeof options.gateway !== 'object' || typeof options.gateway.open !== 'function')) {
    throw new TypeError('gateway must be a Connection or a ProxyCommand string')
  }
  if (options.proxyJump !== undefined && (typeof options.proxyJump !== 'string' || options.proxyJump.trim() === '')) {
    throw new TypeError('proxyJump must be a non-empty string')
  }
  if (options.forwardAgent !== undefined && typeof options.forwardAgent !== 'boolean' && (typeof options.forwardAgent !== 'string' || options.forwardAgent === '')) {
    throw new TypeError('forwardAgent must be a boolean or an agent socket path')
  }
  if (options.forwardAgentSessions !== undefined && options.forwardAgentSessions !== 'all' && options.forwardAgentSessions !== 'requested') {
    throw new TypeError("forwardAgentSessions must be 'all' or 'requested'")
  }
  if (options.debug !== undefined && typeof options.debug !== 'function') throw new TypeError('debug must be a function')
  const maxSessions = options.maxSessions ?? 10
  if (!Number.isInteger(maxSessions) || maxSessions < 1) throw new RangeError('maxSessions must be an integer ≥ 1')
  const auth = options.auth ?? {}
  if (auth.password !== undefined && typeof auth.password !== 'string') throw new TypeError('auth.password must be a string')
  if (auth.privateKeys !== undefined && !Array.isArray(auth.privateKeys)) throw new TypeError('auth.privateKeys must be an array')
  if (auth.passphrase !== undefined && typeof auth.passphrase !== 'string' && typeof auth.passphrase !== 'function') {
    throw new TypeError('auth.passphrase must be a string or a function')
  }
  if (auth.agent !== undefined && auth.agent !== false && typeof auth.agent !== 'string') throw new TypeError('auth.agent must be a path or false')
  if (auth.interactive !== undefined && typeof auth.interactive !== 'function') throw new TypeError('auth.interactive must be a function')
  const hostKeys = options.hostKeys ?? {}
  const policy = hostKeys.policy
  if (policy !== undefined && typeof policy !== 'function' && !['strict', 'accept-new', 'off'].includes(policy)) {
    throw new TypeError("hostKeys.policy must be 'strict', 'accept-new', 'off' or a verifier function")
  }
  if (options.keepalive !== undefined && options.keepalive !== false) {
    if (!isMs(options.keepalive.intervalMs)) throw new RangeError('keepalive.intervalMs must be ≥ 0')
    const countMax = options.keepalive.countMax
    if (countMax !== undefined && (!Number.isInteger(countMax) || countMax < 0)) throw new RangeError('keepalive.countMax must be an integer ≥ 0')
  }
  return Object.freeze({
    ...options,
    auth: Object.freeze({ ...auth, ...(auth.privateKeys ? { privateKeys: Object.freeze([...auth.privateKeys]) } : {}) }),
    hostKeys: Object.freeze({ ...hostKeys }),
    maxSessions,
  })
}
