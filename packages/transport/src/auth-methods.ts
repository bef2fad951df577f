/**
 * Turns the caller's credentials into auth attempts: keys loaded and checked before they reach
 * the protocol library (ssh2 1.17 silently skips an attempt it cannot use), and the caller's
 * keyboard-interactive handler adapted to the library's prompt callback.
 */
import type { AuthDriver, InteractiveHandler } from './auth.js'
import type { AuthAttempt } from './internal/client-protocol.js'
import { ssh2KeyOf } from './keys/internal.js'
import { loadPrivateKey, PrivateKey } from './keys/private-key.js'

/** Checks a user name argument. @internal */
export function checkUser(user: unknown): string {
  if (typeof user !== 'string' || user === '') throw new TypeError('username must be a non-empty string')
  return user
}

/** Builds a publickey attempt from a PrivateKey, a path or key text. @internal */
export async function publicKeyAttempt(username: string, key: PrivateKey | string | Buffer): Promise<AuthAttempt> {
  const privateKey = key instanceof PrivateKey ? key : await loadPrivateKey(key)
  return { type: 'publickey', username, key: ssh2KeyOf(privateKey) }
}

/** Builds a keyboard-interactive attempt that asks `handler` for each round. @internal */
export function interactiveAttempt(username: string, handler: InteractiveHandler, driver: AuthDriver): AuthAttempt {
  if (typeof handler !== 'function') throw new TypeError('handler must be a function')
  return {
    type: 'keyboard-interactive',
    username,
    prompt: (title, instructions, _lang, prompts, finish) => {
      const shown = prompts.map((p) => Object.freeze({ prompt: String(p.prompt), echo: p.echo === true }))
      const blank = (): string[] => prompts.map(() => '')
      Promise.resolve()
        .then(() => handler(title, instructions, Object.freeze(shown)))
        .then(
          (answers) => {
            if (!Array.isArray(answers) || answers.length !== prompts.length || !answers.every((a) => typeof a === 'string')) {
              driver.handlerFailed(new TypeError(`the keyboard-interactive handler must return ${prompts.length} string answer(s)`))
              return finish(blank())
            }
            finish([...answers])
          },
          (err: unknown) => {
            driver.handlerFailed(err)
            finish(blank())
          },
        )
    },
  }
}

/**
 * paramiko's fallback handler: answers a single prompt with the password, and gives up on
 * rounds with several prompts (they are not a password prompt).
 * @internal
 */
export function passwordAsInteractive(password: string): InteractiveHandler {
  return (_title, _instructions, prompts) => {
    if (prompts.length === 0) return []
    if (prompts.length === 1) return [password]
    throw new Error('keyboard-interactive fallback cannot answer several prompts with a password')
  }
}
