/**
 * The server role's authentication driver: asks the {@link ServerInterface}, verifies publickey
 * signatures first (research G1), keeps the factors already passed (partial success, RFC 4252
 * §5.1) and counts failures against `maxAuthTries` (G2).
 */
import { verifyPublicKeySignature } from '../internal/verify-signature.js'
import type { RawAuthRequest } from '../internal/server-protocol.js'
import { PublicKey } from '../keys/public-key.js'
import type { ServerAuthAnswer, ServerAuthContext, ServerAuthMethod, ServerInterface } from './server-interface.js'

const CHECKS: ReadonlyArray<[ServerAuthMethod, keyof ServerInterface]> = [
  ['publickey', 'checkAuthPublicKey'],
  ['password', 'checkAuthPassword'],
  ['keyboard-interactive', 'checkAuthInteractive'],
  ['none', 'checkAuthNone'],
]

/** Runs the authentication of one connection. @internal */
export class ServerAuth {
  readonly #server: ServerInterface
  readonly #maxTries: number
  readonly #clientVersion: () => string
  readonly #signal: AbortSignal
  readonly #onTooMany: () => void
  readonly #completed = new Map<string, ServerAuthMethod[]>()
  #failures = 0
  /** How many forged publickey signatures arrived (never shown to a handler). */
  forged = 0
  /** The user that authenticated. */
  username: string | undefined

  constructor(server: ServerInterface, maxTries: number, clientVersion: () => string, signal: AbortSignal, onTooMany: () => void) {
    this.#server = server
    this.#maxTries = maxTries
    this.#clientVersion = clientVersion
    this.#signal = signal
    this.#onTooMany = onTooMany
  }

  #context(username: string): ServerAuthContext {
    return Object.freeze({ username, completed: Object.freeze([...(this.#completed.get(username) ?? [])]), clientVersion: this.#clientVersion(), signal: this.#signal })
  }

  async #allowed(ctx: ServerAuthContext): Promise<ServerAuthMethod[]> {
    const listed = this.#server.getAllowedAuths
      ? await this.#server.getAllowedAuths(ctx)
      : CHECKS.filter(([, fn]) => typeof this.#server[fn] === 'function').map(([m]) => m).filter((m) => !ctx.completed.includes(m))
    return listed.filter((m) => m !== 'none')
  }

  /** Handles one request; never throws (a throwing handler counts as a failure). */
  async handle(request: RawAuthRequest): Promise<void> {
    const ctx = this.#context(request.username)
    let answer: ServerAuthAnswer = 'failure'
    let counts = request.method !== 'none'
    try {
      const allowed = await this.#allowed(ctx)
      if (request.method === 'none' || allowed.includes(request.method as ServerAuthMethod)) {
        const result = await this.#ask(request, ctx)
        if (result === 'query-ok') return request.accept()
        if (result === 'query-no') counts = false
        else answer = result
      }
    } catch {
      answer = 'failure'
    }
    if (this.#signal.aborted) return
    if (answer === 'success') {
      this.username = request.username
      return request.accept()
    }
    if (answer === 'partial') {
      const list = this.#completed.get(request.username) ?? []
      list.push(request.method as ServerAuthMethod)
      this.#completed.set(request.username, list)
      return request.reject(await this.#allowedSafe(this.#context(request.username)), true)
    }
    if (counts && ++this.#failures >= this.#maxTries) return this.#onTooMany()
    request.reject(await this.#allowedSafe(ctx), false)
  }

  async #allowedSafe(ctx: ServerAuthContext): Promise<string[]> {
    try {
      return await this.#allowed(ctx)
    } catch {
      return []
    }
  }

  async #ask(request: RawAuthRequest, ctx: ServerAuthContext): Promise<ServerAuthAnswer | 'query-ok' | 'query-no'> {
    const s = this.#server
    switch (request.method) {
      case 'none':
        return s.checkAuthNone ? s.checkAuthNone(ctx) : 'failure'
      case 'password':
        return s.checkAuthPassword ? s.checkAuthPassword(ctx, request.password ?? '') : 'failure'
      case 'publickey': {
        const pk = request.publicKey
        if (!pk || !s.checkAuthPublicKey) return 'failure'
        let key: PublicKey
        try {
          key = PublicKey.fromBlob(pk.blob)
        } catch {
          return 'failure'
        }
        if (!pk.signed) return (await s.checkAuthPublicKey(ctx, key, false)) === 'failure' ? 'query-no' : 'query-ok'
        if (!verifyPublicKeySignature(pk)) {
          this.forged++
          return 'failure'
        }
        // Asked again for the signed attempt (as paramiko does): the answer that counts is this one.
        return s.checkAuthPublicKey(ctx, key, true)
      }
      case 'keyboard-interactive': {
        if (!s.checkAuthInteractive || !request.prompt) return 'failure'
        const prompt = request.prompt
        const ask = (q: Parameters<Parameters<NonNullable<ServerInterface['checkAuthInteractive']>>[1]>[0]): Promise<string[]> =>
          new Promise((resolve, reject) =>
            prompt(q.name ?? '', q.instructions ?? '', q.prompts.map((p) => ({ prompt: p.prompt, echo: p.echo })), (answers) =>
              answers ? resolve(answers) : reject(new Error('keyboard-interactive round aborted')),
            ),
          )
        return s.checkAuthInteractive(ctx, ask, request.submethods ?? '')
      }
      default:
        return 'failure'
    }
  }
}
