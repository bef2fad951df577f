/**
 * One host's settings, decided once per Connection: explicit options > ssh_config > defaults,
 * read by typed names. Every other part of the Connection (route, host keys, authentication,
 * the Transport's options, session environment, rekeying) reads these, never ssh_config keys.
 * @internal
 */
import type { HostKeyVerifier, SkippedKey } from '@x/transport'
import { identityOrigin } from './auth-keys.js'
import { changedAlgorithms, type ConfiguredAlgorithms } from './algorithm-policy.js'
import { configFlag, configList, configNumber, configString } from './config-values.js'
import type { ResolvedConnectionOptions } from './connection-options.js'
import { hostKeyPolicyFromConfig, knownHostsFilesFrom } from './host-key-policy.js'
import type { HostSpec } from './host-spec.js'
import { rekeyLimitFrom, type RekeyLimit } from './rekey-limit.js'
import { sendEnvFrom, setEnvFrom } from './session-env.js'
import { resolveSshConfig, type ResolvedSshConfig, type SshConfigWarning } from '@x/ssh-config'

/** Keepalive as the Transport takes it. */
export interface KeepaliveSetting {
  readonly intervalMs: number
  readonly countMax: number
}

/**
 * Where the agent socket comes from: `false` none; `'SSH_AUTH_SOCK'` that variable, read when the
 * connection opens; a path from `auth.agent` (`explicit`, used as given) or from IdentityAgent
 * (used when it exists).
 */
export type AgentSetting = false | 'SSH_AUTH_SOCK' | { readonly path: string; readonly explicit: boolean }

/** How this host authenticates, besides the credentials in `auth` (which stay in the options). */
export interface HostAuthSettings {
  /** The agent offered for authentication and forwarding. */
  readonly agent: AgentSetting
  /** IdentitiesOnly: no agent for authentication unless `auth.agent` names one. */
  readonly identitiesOnly: boolean
  /** Whether IdentityFile (or OpenSSH's default key files) is looked at (`auth.lookForKeys`). */
  readonly lookForKeys: boolean
  /** Whether the IdentityFile list is OpenSSH's default one or the config's own. */
  readonly identityOrigin: SkippedKey['origin']
}

/** How this host's key is checked. */
export interface HostKeySettings {
  /** The policy: `hostKeys.policy`, else StrictHostKeyChecking. */
  readonly policy: 'strict' | 'accept-new' | 'off' | HostKeyVerifier
  /** Whether `policy` came from ssh_config (for debug lines). */
  readonly policyFromConfig: boolean
  /** known_hosts files: `hostKeys.knownHostsFiles`, else UserKnownHostsFile + GlobalKnownHostsFile, `~` expanded. */
  readonly knownHostsFiles: readonly string[]
  /** Hash learnt entries: `hostKeys.hash`, else HashKnownHosts. */
  readonly hash: boolean
  /** The name the key is looked up under: HostKeyAlias, else the host name dialled. */
  readonly name: string
}

/** Environment sent on session channels (run, exec, shell, sudo) before the `env` option. */
export interface SessionEnvSettings {
  /** SendEnv patterns: local variables whose names match are sent (OpenSSH's `-` removals applied). */
  readonly sendEnv: readonly string[]
  /** SetEnv: variables sent as given (the first SetEnv line that applies wins, as in OpenSSH). */
  readonly setEnv: Readonly<Record<string, string>>
}

/** One host's settings; see {@link resolveHostSettings}. */
export interface HostSettings {
  /** The host as given (an ssh_config alias or a name), without user and port. */
  readonly host: string
  /** The user that logs in (explicit option > shorthand > ssh_config User > local user). */
  readonly user: string
  /** The port dialled (explicit option > shorthand > ssh_config Port > 22). */
  readonly port: number
  /** The name dialled (ssh_config HostName, else `host`). */
  readonly hostname: string
  /** TCP connect and handshake limit: `connectTimeoutMs`, else ConnectTimeout, else 20 s. */
  readonly connectTimeoutMs: number
  /** Auth and channel limits (`timeouts`), when given. */
  readonly timeouts: { readonly authMs?: number | undefined; readonly channelMs?: number | undefined }
  /** Keepalive: the option, else ServerAliveInterval/CountMax, else 15 s × 3; undefined: off. */
  readonly keepalive: KeepaliveSetting | undefined
  /** Compression yes. */
  readonly compression: boolean
  /** The algorithm lists ssh_config changed from OpenSSH's defaults. */
  readonly algorithms: ConfiguredAlgorithms
  /** Agent forwarding: `forwardAgent`, else ForwardAgent; a string is a socket path or `$VARIABLE`. */
  readonly forwardAgent: boolean | string
  /** Which sessions forward it (`forwardAgentSessions`). */
  readonly forwardAgentSessions: 'all' | 'requested'
  readonly auth: HostAuthSettings
  readonly hostKeys: HostKeySettings
  /** ssh_config's own ProxyJump / ProxyCommand for this host (the route weighs them against options). */
  readonly gateway: { readonly proxyJump?: string | undefined; readonly proxyCommand?: string | undefined }
  readonly env: SessionEnvSettings
  /** RekeyLimit. */
  readonly rekeyLimit: RekeyLimit
  /** The resolved ssh_config these settings were read from (IdentityFile is expanded from it when keys load, as ssh does). */
  readonly sshConfig: ResolvedSshConfig
}

const DEFAULT_KEEPALIVE: KeepaliveSetting = Object.freeze({ intervalMs: 15_000, countMax: 3 })
const DEFAULT_CONNECT_TIMEOUT_MS = 20_000

/**
 * Decides one host's settings from its shorthand, the validated options and its resolved
 * ssh_config; explicit options > ssh_config > defaults. Offline; the result is frozen.
 * Facts ssh itself only meets when it connects (an agent socket that exists, an IdentityFile
 * token that expands, an algorithm this build can negotiate) are left to the open.
 */
export function resolveHostSettings(spec: HostSpec, options: ResolvedConnectionOptions, sshConfig: ResolvedSshConfig): HostSettings {
  const hostname = configString(sshConfig, 'hostname') ?? spec.host
  const seconds = configNumber(sshConfig, 'connecttimeout')
  const hostKeys = options.hostKeys ?? {}
  const auth = options.auth ?? {}
  const settings: Omit<HostSettings, 'sshConfig'> = {
    host: spec.host,
    user: configString(sshConfig, 'user') ?? '',
    port: configNumber(sshConfig, 'port') ?? 22,
    hostname,
    connectTimeoutMs: options.connectTimeoutMs ?? (seconds !== undefined ? seconds * 1000 : DEFAULT_CONNECT_TIMEOUT_MS),
    timeouts: {
      ...(options.timeouts?.authMs !== undefined ? { authMs: options.timeouts.authMs } : {}),
      ...(options.timeouts?.channelMs !== undefined ? { channelMs: options.timeouts.channelMs } : {}),
    },
    keepalive: keepaliveFrom(options, sshConfig),
    compression: configFlag(sshConfig, 'compression'),
    algorithms: changedAlgorithms(sshConfig),
    forwardAgent: options.forwardAgent ?? forwardAgentFrom(configString(sshConfig, 'forwardagent')),
    forwardAgentSessions: options.forwardAgentSessions ?? 'all',
    auth: {
      agent: agentFrom(auth.agent, configString(sshConfig, 'identityagent')),
      identitiesOnly: configFlag(sshConfig, 'identitiesonly'),
      lookForKeys: auth.lookForKeys !== false,
      identityOrigin: identityOrigin(sshConfig),
    },
    hostKeys: {
      policy: hostKeys.policy ?? hostKeyPolicyFromConfig(configString(sshConfig, 'stricthostkeychecking')),
      policyFromConfig: hostKeys.policy === undefined,
      knownHostsFiles: knownHostsFilesFrom(hostKeys.knownHostsFiles ?? [
        ...configList(sshConfig, 'userknownhostsfile'),
        ...configList(sshConfig, 'globalknownhostsfile'),
      ]),
      hash: hostKeys.hash ?? configFlag(sshConfig, 'hashknownhosts'),
      name: configString(sshConfig, 'hostkeyalias') ?? hostname,
    },
    gateway: {
      proxyJump: configString(sshConfig, 'proxyjump'),
      proxyCommand: configString(sshConfig, 'proxycommand'),
    },
    env: { sendEnv: sendEnvFrom(configList(sshConfig, 'sendenv')), setEnv: setEnvFrom(configList(sshConfig, 'setenv')) },
    rekeyLimit: rekeyLimitFrom(configString(sshConfig, 'rekeylimit')),
  }
  // The config itself stays as the resolver made it: Connection.sshConfig hands it out.
  return Object.freeze({ ...deepFreeze(settings), sshConfig })
}

/**
 * Resolves the host's ssh_config the way `ssh -G` would with the explicit user and port (options,
 * else the shorthand's), collecting the lines that apply but are ignored here.
 * @throws ConfigError when ssh_config is invalid (as OpenSSH would refuse it).
 */
export function resolveHostConfig(spec: HostSpec, options: ResolvedConnectionOptions): { sshConfig: ResolvedSshConfig; warnings: readonly SshConfigWarning[] } {
  const user = options.user ?? spec.user
  const port = options.port ?? spec.port
  const warnings: SshConfigWarning[] = []
  const sshConfig = resolveSshConfig(spec.host, {
    ...(options.config !== undefined ? { config: options.config } : {}),
    ...(user !== undefined ? { user } : {}),
    ...(port !== undefined ? { port } : {}),
    allowMatchExec: options.allowMatchExec === true,
    onWarning: (w) => warnings.push(w),
  })
  return { sshConfig, warnings: Object.freeze(warnings) }
}

function keepaliveFrom(options: ResolvedConnectionOptions, config: ResolvedSshConfig): KeepaliveSetting | undefined {
  const option = options.keepalive
  if (option === false) return undefined
  if (option) return { intervalMs: option.intervalMs, countMax: option.countMax ?? 3 }
  const seconds = configNumber(config, 'serveraliveinterval') ?? 0
  if (seconds === 0) return DEFAULT_KEEPALIVE
  return { intervalMs: seconds * 1000, countMax: configNumber(config, 'serveralivecountmax') ?? 3 }
}

/** ForwardAgent as `ssh -G` prints it: yes, no, or a socket path (which also means yes). */
function forwardAgentFrom(value: string | undefined): boolean | string {
  return value === undefined || value === 'no' ? false : value === 'yes' ? true : value
}

function agentFrom(option: string | false | undefined, identityAgent: string | undefined): AgentSetting {
  if (option === false) return false
  if (typeof option === 'string') return { path: option, explicit: true }
  return identityAgent === undefined || identityAgent === 'SSH_AUTH_SOCK' ? 'SSH_AUTH_SOCK' : { path: identityAgent, explicit: false }
}

/** Freezes plain objects and arrays all the way down (a verifier function is left as it is). */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value
  for (const inner of Object.values(value)) deepFreeze(inner)
  return Object.freeze(value)
}
