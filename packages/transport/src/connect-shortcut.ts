/** paramiko's `Transport.connect()`: start, check a given host key, authenticate with what was given. */
import { checkUser } from './auth-methods.js'
import type { ClientSession } from './client-session.js'
import { AuthenticationError, HostKeyError } from './errors.js'
import { fixedHostKey } from './host-keys/verifiers.js'
import type { PrivateKey } from './keys/private-key.js'
import type { PublicKey } from './keys/public-key.js'
import type { SignalOption } from './transport-types.js'

/** What `Transport.connect()` takes. */
export interface ConnectOptions extends SignalOption {
  readonly username: string
  readonly password?: string | undefined
  readonly privateKey?: PrivateKey | string | Buffer | undefined
  readonly hostKey?: PublicKey | string | undefined
}

/** The Transport methods the shortcut drives. @internal */
export interface ConnectSteps {
  startClient(options: SignalOption): Promise<void>
  authNone(username: string, options: SignalOption): Promise<string[]>
  authPassword(username: string, password: string, options: SignalOption): Promise<string[]>
  authPublicKey(username: string, key: PrivateKey | string | Buffer, options: SignalOption): Promise<string[]>
}

/**
 * Runs `Transport.connect()` over `session`: starts the client if needed (checking `hostKey`
 * instead of known_hosts when given), and authenticates with the key and/or password, following
 * a partial success from key to password.
 * @throws HostKeyError when the server's key is not `hostKey`.
 * @throws AuthenticationError when the server still wants more methods.
 * @internal
 */
export async function connectShortcut(steps: ConnectSteps, session: ClientSession, options: ConnectOptions): Promise<void> {
  const { username, password, privateKey, hostKey, signal } = options
  checkUser(username)
  if (hostKey !== undefined && session.state === 'new') session.verifier = fixedHostKey(hostKey)
  if (session.state === 'new') await steps.startClient({ signal })
  const presented = session.hostKey.key
  if (hostKey !== undefined && presented) {
    const ok = await fixedHostKey(hostKey)(presented, session.name).catch(() => false)
    if (!ok) {
      const err = new HostKeyError(`host key of ${session.label()} is not the expected one`, {
        reason: 'rejected',
        host: session.name.hostname,
        port: session.name.port,
        fingerprint: presented.fingerprint,
      })
      session.fail(err)
      throw err
    }
  }
  if (session.state === 'authenticated') return
  let next: string[]
  if (privateKey !== undefined) {
    next = await steps.authPublicKey(username, privateKey, { signal })
    if (next.length > 0 && password !== undefined) next = await steps.authPassword(username, password, { signal })
  } else if (password !== undefined) {
    next = await steps.authPassword(username, password, { signal })
  } else {
    next = await steps.authNone(username, { signal })
  }
  if (next.length > 0) {
    throw new AuthenticationError(`${username}@${session.label()} needs more authentication: ${next.join(',')}`, {
      username,
      triedMethods: session.auth.tried,
      allowedTypes: next,
    })
  }
}
