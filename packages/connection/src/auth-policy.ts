/**
 * Authenticates the way `ssh` (and paramiko's SSHClient) does: ask with 'none' what the server
 * allows, then explicit keys, the agent, ssh_config's IdentityFile list (OpenSSH's default key
 * files when none is set), the password, keyboard-interactive — following partial success to
 * the end and skipping methods the server does not allow.
 * @internal
 */
import { existsSync } from 'node:fs'
import {
  AuthenticationError,
  ConnectionLostError,
  type InteractiveHandler,
  type PrivateKey,
  type SkippedKey,
  type Transport,
} from '@x/transport'
import { isSkipped, loadKeyFrom, type KeyOrigin } from './auth-keys.js'
import type { ConnectionAuthOptions } from './connection-options.js'
import type { AgentSetting, HostAuthSettings, HostSettings } from './host-settings.js'
import { expandSshConfigPaths } from '@x/ssh-config'

/** What the policy needs for one connection. */
export interface AuthPolicyInput {
  readonly transport: Transport
  readonly username: string
  readonly target: string
  /** The host's settings: agent, IdentitiesOnly, IdentityFile and its origin. */
  readonly settings: Pick<HostSettings, 'auth' | 'sshConfig'>
  /** The credentials: explicit keys, passphrase, password, keyboard-interactive handler. */
  readonly auth: ConnectionAuthOptions
  readonly signal?: AbortSignal | undefined
  /** Receives the policy's decisions (methods tried, keys skipped); never a secret. */
  readonly debug?: ((line: string) => void) | undefined
}

type Step = () => Promise<string[]>

/** Runs the policy; resolves once authenticated. @throws AuthenticationError, KeyError. */
export async function authenticate(input: AuthPolicyInput): Promise<void> {
  const { transport: t, username, settings, auth, signal } = input
  const log = input.debug ?? ((): void => {})
  const tried: string[] = []
  const skippedKeys: SkippedKey[] = []
  let allowed: string[] = []
  let cause: unknown

  /** Runs one attempt when `method` is allowed; true when authentication completed. */
  const attempt = async (method: string, label: string, step: Step): Promise<boolean> => {
    if (!allowed.includes(method)) return false
    tried.push(label)
    log(`auth: trying ${label}`)
    try {
      const next = await step()
      if (next.length === 0) {
        log(`auth: authenticated as ${username} with ${label}`)
        return true
      }
      allowed = next
      log(`auth: ${label} accepted (partial success); the server wants ${allowed.join(',')}`)
    } catch (err) {
      if (!(err instanceof AuthenticationError)) throw err
      cause = err
      if (err.allowedTypes.length > 0) allowed = [...err.allowedTypes]
      log(`auth: ${label} refused; the server allows ${allowed.join(',') || 'nothing more'}`)
    }
    return false
  }

  const seen = new Set<string>()
  /** Loads and offers one key; true when authentication completed. */
  const offerKey = async (source: PrivateKey | string | Buffer, origin: KeyOrigin, describe: (key: PrivateKey) => string): Promise<boolean> => {
    const loaded = await loadKeyFrom(source, origin, auth)
    if (loaded === undefined) {
      log(`auth: no default key ${String(source)}`)
      return false
    }
    if (isSkipped(loaded)) {
      skippedKeys.push(loaded)
      log(`auth: skipped ${loaded.source} (${loaded.origin === 'default' ? 'default key' : 'IdentityFile'}): ${SKIP_WHY[loaded.reason]}`)
      return false
    }
    if (seen.has(loaded.publicKey.fingerprint)) return false
    seen.add(loaded.publicKey.fingerprint)
    return attempt('publickey', `publickey (${describe(loaded)})`, () => t.authPublicKey(username, loaded, { signal }))
  }

  try {
    tried.push('none')
    try {
      if ((await t.authNone(username, { signal })).length === 0) {
        log(`auth: authenticated as ${username} with none`)
        return
      }
    } catch (err) {
      if (!(err instanceof AuthenticationError)) throw err
      allowed = [...err.allowedTypes]
    }
    log(`auth: the server allows ${allowed.join(',') || 'nothing'} for ${username}`)
    for (const source of auth.privateKeys ?? []) {
      if (await offerKey(source, 'listed', (key) => describeKey(source, key))) return
    }
    const agentPath = agentPathFor(settings.auth)
    if (agentPath && (await attempt('publickey', 'publickey (agent)', () => t.authAgent(username, agentPath, { signal })))) return
    if (settings.auth.lookForKeys) {
      const origin = settings.auth.identityOrigin
      // Expanded only now, as ssh does when it loads keys: an unset ${VAR} fails the open.
      for (const path of expandSshConfigPaths(settings.sshConfig, 'identityfile')) {
        if (await offerKey(path, origin, () => path)) return
      }
    }
    const password = auth.password
    if (password !== undefined && (await attempt('password', 'password', () => t.authPassword(username, password, { fallback: false, signal })))) return
    const handler = auth.interactive ?? (password === undefined ? undefined : answerWithPassword(password))
    if (handler && (await attempt('keyboard-interactive', 'keyboard-interactive', () => t.authInteractive(username, handler, undefined, { signal })))) return
  } catch (err) {
    if (signal?.aborted || !(err instanceof ConnectionLostError)) throw err
    // The server hung up mid-authentication, e.g. sshd's MaxAuthTries ("Too many authentication failures").
    throw new AuthenticationError(`${input.target} closed the connection during authentication of ${username}`, {
      username,
      triedMethods: tried,
      allowedTypes: allowed,
      skippedKeys,
    }, { cause: err })
  }
  const skippedText = skippedKeys.length === 0 ? '' : `; skipped keys: ${skippedKeys.map((k) => `${k.source} (${k.reason})`).join(', ')}`
  throw new AuthenticationError(
    `cannot authenticate ${username}@${input.target}: tried ${tried.join(', ')}; the server allows ${allowed.join(', ') || 'nothing more'}${skippedText}`,
    { username, triedMethods: tried, allowedTypes: allowed, skippedKeys },
    { cause },
  )
}

/** Why a key was skipped, for debug lines. */
const SKIP_WHY: Record<SkippedKey['reason'], string> = {
  missing: 'no such file',
  passphrase: 'encrypted, and no (or a wrong) passphrase was given',
  unreadable: 'cannot be read',
  unsupported: 'unsupported key type or format',
  invalid: 'not a valid private key',
}

/** The agent used for authentication: none with IdentitiesOnly (the agent may hold any key) unless `auth.agent` names one. */
function agentPathFor(settings: HostAuthSettings): string | undefined {
  const explicit = typeof settings.agent === 'object' && settings.agent.explicit
  if (!explicit && settings.identitiesOnly) return undefined
  return agentSocket(settings.agent)
}

/** The agent socket: `auth.agent` as given, else IdentityAgent, else SSH_AUTH_SOCK; those two only if it exists. */
export function agentSocket(agent: AgentSetting): string | undefined {
  if (agent === false) return undefined
  if (agent !== 'SSH_AUTH_SOCK' && agent.explicit) return agent.path
  const path = agent === 'SSH_AUTH_SOCK' ? process.env['SSH_AUTH_SOCK'] : agent.path
  return path && existsSync(path) ? path : undefined
}

function describeKey(source: PrivateKey | string | Buffer, key: PrivateKey): string {
  return typeof source === 'string' && !source.includes('\n') ? source : `${key.type} ${key.publicKey.fingerprint}`
}

/** paramiko's fallback: a single prompt is answered with the password. */
function answerWithPassword(password: string): InteractiveHandler {
  return (_title, _instructions, prompts) => {
    if (prompts.length > 1) throw new Error('cannot answer several keyboard-interactive prompts with a password')
    return prompts.map(() => password)
  }
}
