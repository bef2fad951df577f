/**
 * How an embedded lab host authenticates its one user, the way sshd would: public keys from an
 * authorized list (signatures verified), a password, keyboard-interactive, and OpenSSH's
 * `AuthenticationMethods` (several methods required in order, with partial success).
 */
import { timingSafeEqual } from 'node:crypto'
import ssh2, { type AuthContext } from 'ssh2'

const { utils } = ssh2

/** Who may log in to a lab host, and how. */
export interface HostAuthPolicy {
  readonly user: string
  /** Public keys (OpenSSH lines) allowed for `publickey`. */
  readonly authorizedKeys?: readonly string[]
  /** Accepted by `password`, and asked for by `keyboard-interactive` when there is no `oneTimeCode`. */
  readonly password?: string
  /** A second factor asked for by `keyboard-interactive` ("Verification code: "). */
  readonly oneTimeCode?: string
  /** Methods that must all succeed, in this order (sshd's AuthenticationMethods); default: any one. */
  readonly require?: readonly Method[]
}

type Method = 'publickey' | 'password' | 'keyboard-interactive'

/** Returns the handler of one client's 'authentication' events; it keeps that client's progress. */
export function authHandler(policy: HostAuthPolicy): (ctx: AuthContext) => void {
  const done = new Set<Method>()
  const offered: Method[] = [
    ...(policy.authorizedKeys?.length ? (['publickey'] as const) : []),
    ...(policy.password !== undefined ? (['password'] as const) : []),
    ...(policy.password !== undefined || policy.oneTimeCode !== undefined ? (['keyboard-interactive'] as const) : []),
  ]
  // With a required sequence, sshd advertises only the next method of it.
  const allowed = (): Method[] => (policy.require ? policy.require.filter((m) => !done.has(m)).slice(0, 1) : offered)
  const succeeded = (ctx: AuthContext, method: Method): void => {
    done.add(method)
    const next = allowed()
    if (!policy.require || next.length === 0) ctx.accept()
    else ctx.reject(next, true)
  }
  return (ctx) => {
    const method = ctx.method as Method
    if (ctx.username !== policy.user || !allowed().includes(method)) return ctx.reject(allowed())
    if (ctx.method === 'publickey') {
      const key = (policy.authorizedKeys ?? []).map((line) => utils.parseKey(line)).find((k) =>
        !(k instanceof Error) && k.type === ctx.key.algo && k.getPublicSSH().equals(ctx.key.data))
      if (!key || key instanceof Error) return ctx.reject(allowed())
      if (!ctx.signature) return ctx.accept() // the client only asks whether this key would do (RFC 4252 §7)
      if (!ctx.blob || key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) return ctx.reject(allowed())
      return succeeded(ctx, 'publickey')
    }
    if (ctx.method === 'password') {
      return sameSecret(ctx.password, policy.password) ? succeeded(ctx, 'password') : ctx.reject(allowed())
    }
    if (ctx.method === 'keyboard-interactive') {
      const code = policy.oneTimeCode
      const prompt = code !== undefined ? { prompt: 'Verification code: ', echo: true } : { prompt: 'Password: ', echo: false }
      return ctx.prompt([prompt], `${policy.user}'s login`, '', (answers) => {
        sameSecret(answers[0], code ?? policy.password) ? succeeded(ctx, 'keyboard-interactive') : ctx.reject(allowed())
      })
    }
    ctx.reject(allowed())
  }
}

function sameSecret(given: string | undefined, expected: string | undefined): boolean {
  if (given === undefined || expected === undefined) return false
  const [a, b] = [Buffer.from(given), Buffer.from(expected)]
  return a.length === b.length && timingSafeEqual(a, b)
}
