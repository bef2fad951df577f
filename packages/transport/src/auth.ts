/**
 * Drives ssh2's function-form `authHandler` one attempt at a time, giving paramiko's contract:
 * each attempt resolves with the methods allowed next ([] when authenticated, the server's list
 * on partial success) or rejects with an AuthenticationError. The function-form handler stores
 * its callback and returns nothing; its first call (`methodsLeft === null`) means "ready for
 * auth", each attempt hands one method to the stored callback, a failure calls the handler again
 * with the server's allowed methods, and 'ready' means authenticated.
 */
import {
  AuthenticationError,
  BadAuthenticationTypeError,
  SSHError,
  TimeoutError,
} from './errors.js'

/** One prompt of a keyboard-interactive round (RFC 4256 §3.2). */
export interface InteractivePrompt {
  /** The text the server shows, e.g. 'Password: '. */
  readonly prompt: string
  /** Whether the answer may be echoed as typed. */
  readonly echo: boolean
}

/**
 * Answers one keyboard-interactive round; paramiko's `auth_interactive` handler. May be async:
 * no authentication timer runs while it is pending (a person may be typing).
 */
export type InteractiveHandler = (
  title: string,
  instructions: string,
  prompts: readonly InteractivePrompt[],
) => readonly string[] | Promise<readonly string[]>

/** The attempt as ssh2 1.17 expects it from an authHandler. @internal */
export type Ssh2AuthAttempt =
  | { type: 'none'; username: string }
  | { type: 'password'; username: string; password: string }
  | { type: 'publickey'; username: string; key: unknown }
  | { type: 'agent'; username: string; agent: string }
  | { type: 'keyboard-interactive'; username: string; prompt: Ssh2Prompt }

type Ssh2Prompt = (
  name: string,
  instructions: string,
  lang: string,
  prompts: Array<{ prompt: string; echo?: boolean }>,
  finish: (answers: string[]) => void,
) => void

type NextAuth = (attempt: Ssh2AuthAttempt) => void

interface Attempt {
  readonly method: string
  readonly username: string
  readonly resolve: (methods: string[]) => void
  readonly reject: (err: unknown) => void
  failure?: { methods: string[]; partial: boolean }
  partialMethods?: string[]
  cause?: unknown
  /** The caller's keyboard-interactive handler failed and blank answers went in its place. */
  handlerFailed?: boolean
}

/** Hooks the driver needs from its Transport. @internal */
export interface AuthDriverHooks {
  /** ssh2 asked for the first method: the handshake is done. */
  readyForAuth(): void
  /** An attempt ran out of time; the transport must close with this error. */
  timedOut(err: TimeoutError): void
  /** The server accepted an attempt whose handler failed; the transport must close with this error. */
  abandon(err: AuthenticationError): void
  readonly authMs: number
  readonly target: string
}

/** The wire name of an ssh2 attempt type (agent keys are 'publickey' on the wire). */
function wireMethod(type: Ssh2AuthAttempt['type']): string {
  return type === 'agent' ? 'publickey' : type
}

/** Step-by-step authentication over ssh2's authHandler. @internal */
export class AuthDriver {
  readonly #hooks: AuthDriverHooks
  #next: NextAuth | undefined
  #attempt: Attempt | undefined
  #ready = false
  #authenticated = false
  #allowed: string[] = []
  readonly #tried: string[] = []
  #timer: NodeJS.Timeout | undefined
  #closed = false

  /** Creates a driver; pass {@link handler} to ssh2's `authHandler`. */
  constructor(hooks: AuthDriverHooks) {
    this.#hooks = hooks
  }

  /** Whether the server accepted authentication. */
  get authenticated(): boolean {
    return this.#authenticated
  }

  /** Methods tried so far, in order (wire names). */
  get tried(): readonly string[] {
    return this.#tried
  }

  /** ssh2's authHandler: called first with `null`, then after each failed attempt. */
  readonly handler = (_methodsLeft: string[] | null, _partial: boolean | null, next: NextAuth): void => {
    this.#next = next
    if (!this.#ready) {
      this.#ready = true
      this.#hooks.readyForAuth()
      return
    }
    const attempt = this.#attempt
    if (!attempt) return
    this.#settle()
    if (attempt.partialMethods) return attempt.resolve([...attempt.partialMethods])
    const allowed = attempt.failure?.methods ?? this.#allowed
    const fields = { username: attempt.username, triedMethods: this.#tried, allowedTypes: allowed }
    const where = `${attempt.username}@${this.#hooks.target}`
    if (attempt.failure && !allowed.includes(attempt.method)) {
      attempt.reject(
        new BadAuthenticationTypeError(
          `${attempt.method} authentication is not allowed for ${where} (allowed: ${allowed.join(',') || 'none'})`,
          fields,
          { cause: attempt.cause },
        ),
      )
    } else {
      attempt.reject(new AuthenticationError(`${attempt.method} authentication failed for ${where}`, fields, { cause: attempt.cause }))
    }
  }

  /** Records SSH_MSG_USERAUTH_FAILURE as it arrives (ssh2 hides some of them, see protocol-internals). */
  observeFailure(methods: string[], partial: boolean): void {
    this.#allowed = [...methods]
    const attempt = this.#attempt
    if (!attempt) return
    if (partial && !attempt.partialMethods) attempt.partialMethods = [...methods]
    attempt.failure = { methods: [...methods], partial }
  }

  /** Records a non-fatal ssh2 error (agent, signing) as the cause of the current attempt. */
  observeError(err: unknown): void {
    if (this.#attempt && this.#attempt.cause === undefined) this.#attempt.cause = err
  }

  /** ssh2 emitted 'ready': the current attempt completed authentication. */
  succeeded(): void {
    this.#authenticated = true
    const attempt = this.#attempt
    this.#settle()
    if (attempt?.handlerFailed) {
      // ssh2 1.17 cannot cancel a round, so blank answers replaced the failed handler's; a server
      // that accepts them must not turn the caller's failure into a login.
      const fields = { username: attempt.username, triedMethods: this.#tried, allowedTypes: this.#allowed }
      const err = new AuthenticationError(
        `the keyboard-interactive handler failed for ${attempt.username}@${this.#hooks.target}; the server accepted the blank answers sent instead`,
        fields,
        { cause: attempt.cause },
      )
      attempt.reject(err)
      this.#hooks.abandon(err)
      return
    }
    attempt?.resolve([])
  }

  /** The transport closed: the current attempt rejects with `err`. */
  close(err: unknown): void {
    this.#closed = true
    const attempt = this.#attempt
    this.#settle()
    attempt?.reject(err)
  }

  /** Runs one attempt; resolves with the methods allowed next. */
  run(attempt: Ssh2AuthAttempt): Promise<string[]> {
    if (this.#closed) return Promise.reject(new SSHError('the transport is closed'))
    if (!this.#ready) return Promise.reject(new SSHError('call startClient() before authenticating'))
    if (this.#authenticated) return Promise.reject(new SSHError('already authenticated'))
    const next = this.#next
    if (this.#attempt || !next) return Promise.reject(new SSHError('another authentication attempt is in progress'))
    this.#next = undefined
    const method = wireMethod(attempt.type)
    this.#tried.push(method)
    return new Promise<string[]>((resolve, reject) => {
      this.#attempt = { method, username: attempt.username, resolve, reject }
      this.#startTimer()
      next(attempt.type === 'keyboard-interactive' ? { ...attempt, prompt: this.#timedPrompt(attempt.prompt) } : attempt)
    })
  }

  /** Wraps a prompt so the auth timer pauses while the handler waits on a person. */
  #timedPrompt(prompt: Ssh2Prompt): Ssh2Prompt {
    return (name, instructions, lang, prompts, finish) => {
      this.#stopTimer()
      prompt(name, instructions, lang, prompts, (answers) => {
        if (this.#closed || !this.#attempt) return
        this.#startTimer()
        finish(answers)
      })
    }
  }

  /** Records that `err` came from the caller's handler; the attempt will reject with it as cause. */
  handlerFailed(err: unknown): void {
    if (!this.#attempt) return
    this.#attempt.cause = err
    this.#attempt.handlerFailed = true
  }

  #settle(): void {
    this.#stopTimer()
    this.#attempt = undefined
  }

  #startTimer(): void {
    this.#stopTimer()
    const ms = this.#hooks.authMs
    if (!(ms > 0) || !Number.isFinite(ms)) return
    this.#timer = setTimeout(() => {
      this.#hooks.timedOut(
        new TimeoutError(`authentication with ${this.#hooks.target} timed out after ${ms} ms`, { phase: 'auth', timeoutMs: ms }),
      )
    }, ms)
  }

  #stopTimer(): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
  }
}
