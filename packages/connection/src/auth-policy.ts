/**
 * Authenticates the way `ssh` (and paramiko's SSHClient) does: ask with 'none' what the server
 * allows, then explicit keys, the agent, ssh_config's IdentityFile list (OpenSSH's default key
 * files when none is set), the password, keyboard-interactive — following partial success to
 * the end and skipping methods the server does not allow.
 * @internal
 */
import { existsSync, statSync } from 'node:fs'
import {
  AuthenticationError,
  ConnectionLostError,
  KeyError,
  loadPrivateKey,
  type InteractiveHandler,
  type PrivateKey,
  type Transport,
} from '@x/transport'
import { configFlag, configString } from './config-values.js'
import type { ConnectionAuthOptions } from './connection-options.js'
import { expandSshConfigPaths, type ResolvedSshConfig } from './ssh-config/index.js'

/** What the policy needs for one connection. */
export interface AuthPolicyInput {
  readonly transport: Transport
  readonly username: string
  readonly target: string
  readonly config: ResolvedSshConfig
  readonly auth: ConnectionAuthOptions
  readonly signal?: AbortSignal | undefined
}

type Step = () => Promise<string[]>

/** Runs the policy; resolves once authenticated. @throws AuthenticationError, KeyError. */
export async function authenticate(input: AuthPolicyInput): Promise<void> {
  const { transport: t, username, config, auth, signal } = input
  const tried: string[] = []
  let allowed: string[] = []
  let cause: unknown

  /** Runs one attempt when `method` is allowed; true when authentication completed. */
  const attempt = async (method: string, label: string, step: Step): Promise<boolean> => {
    if (!allowed.includes(method)) return false
    tried.push(label)
    try {
      const next = await step()
      if (next.length === 0) return true
      allowed = next
    } catch (err) {
      if (!(err instanceof AuthenticationError)) throw err
      cause = err
      if (err.allowedTypes.length > 0) allowed = [...err.allowedTypes]
    }
    return false
  }

  try {
    tried.push('none')
    try {
      if ((await t.authNone(username, { signal })).length === 0) return
    } catch (err) {
      if (!(err instanceof AuthenticationError)) throw err
      allowed = [...err.allowedTypes]
    }
    const seen = new Set<string>()
    for (const source of auth.privateKeys ?? []) {
      const key = await loadKey(source, auth)
      if (!key || seen.has(key.publicKey.fingerprint)) continue
      seen.add(key.publicKey.fingerprint)
      if (await attempt('publickey', `publickey (${describeKey(source, key)})`, () => t.authPublicKey(username, key, { signal }))) return
    }
    const agentPath = agentPathFor(config, auth)
    if (agentPath && (await attempt('publickey', 'publickey (agent)', () => t.authAgent(username, agentPath, { signal })))) return
    if (auth.lookForKeys !== false) {
      for (const path of expandSshConfigPaths(config, 'identityfile')) {
        if (!isRegularFile(path)) continue
        const key = await loadKey(path, auth)
        if (!key || seen.has(key.publicKey.fingerprint)) continue
        seen.add(key.publicKey.fingerprint)
        if (await attempt('publickey', `publickey (${path})`, () => t.authPublicKey(username, key, { signal }))) return
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
    }, { cause: err })
  }
  throw new AuthenticationError(
    `cannot authenticate ${username}@${input.target}: tried ${tried.join(', ')}; the server allows ${allowed.join(', ') || 'nothing more'}`,
    { username, triedMethods: tried, allowedTypes: allowed },
    { cause },
  )
}

/** The agent used for authentication: none with IdentitiesOnly (the agent may hold any key). */
function agentPathFor(config: ResolvedSshConfig, auth: ConnectionAuthOptions): string | undefined {
  if (typeof auth.agent !== 'string' && configFlag(config, 'identitiesonly')) return undefined
  return agentSocket(config, auth)
}

/** The agent socket: explicit option, else IdentityAgent, else SSH_AUTH_SOCK; only if it exists. */
export function agentSocket(config: ResolvedSshConfig, auth: ConnectionAuthOptions): string | undefined {
  if (auth.agent === false) return undefined
  if (typeof auth.agent === 'string') return auth.agent
  const configured = configString(config, 'identityagent')
  const path = configured === undefined || configured === 'SSH_AUTH_SOCK' ? process.env['SSH_AUTH_SOCK'] : configured
  return path && existsSync(path) ? path : undefined
}

function isRegularFile(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/**
 * Loads a key, asking for a passphrase only when the key is encrypted. Returns undefined for an
 * encrypted key when no passphrase is available (ssh in BatchMode skips it too).
 * @throws KeyError when a given passphrase is wrong or the key is unreadable.
 */
async function loadKey(source: PrivateKey | string | Buffer, auth: ConnectionAuthOptions): Promise<PrivateKey | undefined> {
  if (typeof source === 'object' && !Buffer.isBuffer(source)) return source
  try {
    return await loadPrivateKey(source)
  } catch (err) {
    if (!(err instanceof KeyError) || err.reason !== 'passphrase') throw err
  }
  const label = typeof source === 'string' && !source.includes('\n') ? source : 'key'
  const passphrase = typeof auth.passphrase === 'function' ? await auth.passphrase(label) : auth.passphrase
  if (passphrase === undefined) return undefined
  return loadPrivateKey(source, { passphrase })
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
