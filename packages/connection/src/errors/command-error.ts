import { MaxBufferError } from './max-buffer-error.js'
import { UnexpectedExitError } from './unexpected-exit-error.js'

/**
 * The errors @x/connection defines, as a union discriminated by `code`: how a `run` or `sudo`
 * ended badly. The result's output is text, or Buffers for `encoding: 'buffer'`.
 */
export type CommandError = UnexpectedExitError<string | Buffer> | MaxBufferError

/**
 * Tells whether `value` is one of the errors @x/connection defines, made by any installed copy
 * of it; narrows `unknown` to {@link CommandError}.
 */
export function isCommandError(value: unknown): value is CommandError {
  return value instanceof UnexpectedExitError || value instanceof MaxBufferError
}
