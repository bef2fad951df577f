/**
 * Authentication of one connection from an {@link AuthPolicy}: authorized_keys (with from= and
 * expiry-time= judged against the real peer), passwords (also as keyboard-interactive) and
 * sshd-style AuthenticationMethods lists, passed in their order, remembering the key's
 * restrictions for the dispatch.
 */
import type { PublicKey, ServerAuthAnswer, ServerAuthContext, ServerAuthMethod, ServerInteractiveQuery } from '@x/transport'
import type { AuthorizedKeys } from '../authorized-keys/authorized-keys.js'
import { KeyRestrictions } from '../authorized-keys/restrictions.js'
import type { AuthPolicy, Endpoint } from './listen-options.js'
import { emitLog, type ServerLogEvent } from './server-log.js'

/** The factors one user passed so far. */
interface Factors {
  /** The last key that passed. */
  key: PublicKey | undefined
  /** Every key that passed: none is accepted twice (sshd's auth2_key_already_used), so 'publickey,publickey' needs two. */
  keys: readonly string[]
  restrictions: KeyRestrictions
}

/** What a completed login carries into the dispatch. @internal */
export interface CompletedLogin {
  readonly username: string
  readonly methods: readonly ServerAuthMethod[]
  readonly key: PublicKey | undefined
  readonly restrictions: KeyRestrictions
}

const PASSWORD_PROMPT: ServerInteractiveQuery = { prompts: [{ prompt: 'Password: ', echo: false }] }

/** Decides the authentication of one connection. @internal */
export class LoginPolicy {
  readonly #policy: AuthPolicy
  readonly #remote: Endpoint
  readonly #id: number
  readonly #log: ((event: ServerLogEvent) => void) | undefined
  readonly #lists: readonly (readonly ServerAuthMethod[])[]
  readonly #factors = new Map<string, Factors>()
  /** Set once a method answered 'success'. */
  completed: CompletedLogin | undefined

  constructor(policy: AuthPolicy, remote: Endpoint, id: number, log: ((event: ServerLogEvent) => void) | undefined) {
    this.#policy = policy
    this.#remote = remote
    this.#id = id
    this.#log = log
    const configured = new Set<ServerAuthMethod>()
    if (policy.authorizedKeys) configured.add('publickey')
    if (policy.password) configured.add('password').add('keyboard-interactive')
    if (policy.keyboardInteractive) configured.add('keyboard-interactive')
    const lists = policy.methods ?? [...configured].map((m) => [m])
    // A list naming a method that is not configured could never complete.
    this.#lists = lists.filter((l) => l.every((m) => configured.has(m)))
  }

  /**
   * What is left of each list once `done` passed, in order, as sshd's auth2_update_methods_lists
   * leaves it: each method that passed is taken off the front of every list that starts with
   * it; a list that does not start with it stays as it was.
   */
  #remaining(done: readonly ServerAuthMethod[]): (readonly ServerAuthMethod[])[] {
    let lists = [...this.#lists]
    for (const m of done) lists = lists.map((l) => (l[0] === m ? l.slice(1) : l))
    return lists
  }

  /**
   * The methods to offer next (USERAUTH_FAILURE's list): the first method left of each list, as
   * sshd offers only what its method_allowed admits; a method that is first in no list is refused.
   */
  allowed(ctx: ServerAuthContext): ServerAuthMethod[] {
    const next = new Set<ServerAuthMethod>()
    for (const l of this.#remaining(ctx.completed)) if (l[0] !== undefined) next.add(l[0])
    return [...next]
  }

  /** Whether `method` passing now completes a list: it is all that is left of one. */
  #wouldComplete(ctx: ServerAuthContext, method: ServerAuthMethod): boolean {
    return this.#remaining(ctx.completed).some((l) => l.length === 1 && l[0] === method)
  }

  /** The verdict once `method` passed on top of `ctx.completed`. */
  #verdict(ctx: ServerAuthContext, method: ServerAuthMethod, factors: Factors): ServerAuthAnswer {
    if (this.#wouldComplete(ctx, method)) {
      this.completed = { username: ctx.username, methods: [...ctx.completed, method], key: factors.key, restrictions: factors.restrictions }
      return 'success'
    }
    this.#factors.set(ctx.username, factors)
    return 'partial'
  }

  #factorsOf(username: string): Factors {
    return this.#factors.get(username) ?? { key: undefined, keys: [], restrictions: KeyRestrictions.none }
  }

  #report(ctx: ServerAuthContext, method: string, result: ServerAuthAnswer, key?: PublicKey): void {
    emitLog(this.#log, { event: 'auth', id: this.#id, user: ctx.username, method, result, key: key?.fingerprint })
  }

  async #keysFor(username: string): Promise<AuthorizedKeys | undefined> {
    const source = this.#policy.authorizedKeys
    return typeof source === 'function' ? source(username) : source
  }

  /** checkAuthPublicKey: the key must be listed for the user and allowed from this peer now. */
  async publicKey(ctx: ServerAuthContext, key: PublicKey, signed: boolean): Promise<ServerAuthAnswer> {
    if (!this.allowed(ctx).includes('publickey')) return 'failure'
    const keys = await this.#keysFor(ctx.username)
    const decision = keys?.check(key, { address: this.#remote.address, permitUserEnvironment: this.#policy.permitUserEnvironment })
    if (!decision?.accepted) {
      if (signed || decision === undefined) this.#report(ctx, 'publickey', 'failure', key)
      return 'failure'
    }
    const prior = this.#factorsOf(ctx.username)
    if (prior.keys.includes(key.fingerprint)) return 'failure'
    const restrictions = KeyRestrictions.combine(prior.restrictions, decision.restrictions)
    if (!restrictions) return 'failure'
    // A query only learns whether the key would do (PK_OK); the signed attempt decides.
    if (!signed) return this.#wouldComplete(ctx, 'publickey') ? 'success' : 'partial'
    const answer = this.#verdict(ctx, 'publickey', { key, keys: [...prior.keys, key.fingerprint], restrictions })
    this.#report(ctx, 'publickey', answer, key)
    return answer
  }

  /** checkAuthPassword. */
  async password(ctx: ServerAuthContext, password: string, method: 'password' | 'keyboard-interactive' = 'password'): Promise<ServerAuthAnswer> {
    const check = this.#policy.password
    if (!check || !this.allowed(ctx).includes(method)) return 'failure'
    const ok = (await check(ctx.username, password)) === true
    const answer = ok ? this.#verdict(ctx, method, this.#factorsOf(ctx.username)) : 'failure'
    this.#report(ctx, method, answer)
    return answer
  }

  /** checkAuthInteractive: one "Password: " round checked by the password callback (sshd with PAM). */
  async interactive(ctx: ServerAuthContext, ask: (query: ServerInteractiveQuery) => Promise<string[]>): Promise<ServerAuthAnswer> {
    if (!this.allowed(ctx).includes('keyboard-interactive')) return 'failure'
    const custom = this.#policy.keyboardInteractive
    if (custom) {
      const ok = (await custom(ctx.username, ask)) === true
      const answer = ok ? this.#verdict(ctx, 'keyboard-interactive', this.#factorsOf(ctx.username)) : 'failure'
      this.#report(ctx, 'keyboard-interactive', answer)
      return answer
    }
    if (!this.#policy.password) return 'failure'
    const [answer] = await ask(PASSWORD_PROMPT)
    return this.password(ctx, answer ?? '', 'keyboard-interactive')
  }
}
