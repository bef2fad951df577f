/**
 * Drives authentication one attempt at a time over the client connection's hooks, giving
 * paramiko's contract: each attempt resolves with the methods allowed next ([] when
 * authenticated, the server's list on partial success) or rejects with an AuthenticationError.
 * The connection reports "ready for auth" once, then for each attempt either "refused" (after
 * the USERAUTH_FAILURE it observed) or "authenticated".
 */
import type { AuthAttempt, AuthPrompt } from './internal/client-protocol.js'
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
  /** The connection waits for the first method: the handshake is done. */
  readyForAuth(): void
  /** Hands one attempt to the connection. */
  send(attempt: AuthAttempt): void
  /** An attempt ran out of time; the transport must close with this error. */
  timedOut(err: TimeoutError): void
  /** The server accepted an attempt whose handler failed; the transport must close with this error. */
  abandon(err: AuthenticationError): void
  readonly authMs: number
  readonly target: string
}

/** The wire name of an attempt type (agent keys are 'publickey' on the wire). */
function wireMethod(type: AuthAttempt['type']): string {
  return type === 'agent' ? 'publickey' : type
}

/** Step-by-step authentication over a client connection. @internal */
export class AuthDriver {
  readonly #hooks: AuthDriverHooks
  /** Whether the connection waits for an attempt (after ready-for-auth or a refusal). */
  #canSend = false
  #attempt: Attempt | undefined
  #ready = false
  #authenticated = false
  #allowed: string[] = []
  readonly #tried: string[] = []
  #timer: NodeJS.Timeout | undefined
  #closed = false

  /** Creates a driver; the connection's hooks call {@link readyForAuth}, {@link refused} and {@link succeeded}. */
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

  /** The connection waits for the first method: the handshake is done. */
  readyForAuth(): void {
    this.#canSend = true
    if (this.#ready) return
    this.#ready = true
    this.#hooks.readyForAuth()
  }

  /** The server refused the attempt in flight: it rejects, or resolves on partial success. */
  refused(): void {
    this.#canSend = true
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

  /** Records SSH_MSG_USERAUTH_FAILURE as it arrives (ssh2 hides some of them, see client-adapter.ts). */
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

  /** The server accepted: the current attempt completed authentication. */
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
  run(attempt: AuthAttempt): Promise<string[]> {
    if (this.#closed) return Promise.reject(new SSHError('the transport is closed'))
    if (!this.#ready) return Promise.reject(new SSHError('call startClient() before authenticating'))
    if (this.#authenticated) return Promise.reject(new SSHError('already authenticated'))
    if (this.#attempt || !this.#canSend) return Promise.reject(new SSHError('another authentication attempt is in progress'))
    this.#canSend = false
    const method = wireMethod(attempt.type)
    this.#tried.push(method)
    return new Promise<string[]>((resolve, reject) => {
      this.#attempt = { method, username: attempt.username, resolve, reject }
      this.#startTimer()
      this.#hooks.send(attempt.type === 'keyboard-interactive' ? { ...attempt, prompt: this.#timedPrompt(attempt.prompt) } : attempt)
    })
  }

  /** Wraps a prompt so the auth timer pauses while the handler waits on a person. */
  #timedPrompt(prompt: AuthPrompt): AuthPrompt {
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
