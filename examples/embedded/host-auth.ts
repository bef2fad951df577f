/**
 * How an embedded lab host authenticates its one user, as @x/server's {@link AuthPolicy}: public
 * keys from an authorized list, a password, a one-time code asked by keyboard-interactive, and
 * sshd's `AuthenticationMethods` (several methods required, with partial success).
 */
import { timingSafeEqual } from 'node:crypto'
import { AuthorizedKeys, type AuthPolicy } from '@x/server'

/** Who may log in to a lab host, and how. */
export interface HostAuthPolicy {
  readonly user: string
  /** Public keys (OpenSSH lines) allowed for `publickey`. */
  readonly authorizedKeys?: readonly string[]
  /** Accepted by `password` (and by keyboard-interactive's "Password: " when there is no `oneTimeCode`). */
  readonly password?: string
  /** A second factor asked for by `keyboard-interactive` ("Verification code: "). */
  readonly oneTimeCode?: string
  /** Methods that must all succeed (sshd's AuthenticationMethods); default: any one. */
  readonly require?: readonly ('publickey' | 'password' | 'keyboard-interactive')[]
}

/** Builds the listen() auth policy that lets `policy.user` in as `policy` says. */
export function authPolicyOf(policy: HostAuthPolicy): AuthPolicy {
  const keys = policy.authorizedKeys?.length ? AuthorizedKeys.parse(policy.authorizedKeys.join('\n') + '\n') : undefined
  const { password, oneTimeCode } = policy
  return {
    ...(keys ? { authorizedKeys: (username: string) => (username === policy.user ? keys : undefined) } : {}),
    ...(password !== undefined ? { password: (username: string, given: string) => username === policy.user && sameSecret(given, password) } : {}),
    ...(oneTimeCode !== undefined
      ? {
          keyboardInteractive: async (username, ask) => {
            const [code] = await ask({ name: `${policy.user}'s login`, prompts: [{ prompt: 'Verification code: ', echo: true }] })
            return username === policy.user && sameSecret(code, oneTimeCode)
          },
        }
      : {}),
    ...(policy.require ? { methods: [policy.require] } : {}),
  }
}

function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false
  const [a, b] = [Buffer.from(given), Buffer.from(expected)]
  return a.length === b.length && timingSafeEqual(a, b)
}
