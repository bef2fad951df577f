import { SSHError, type SSHErrorOptions } from '@x/transport'

/** The outcome of a finished command (Fabric's `Result`); output is text, or Buffers with `encoding: 'buffer'`. */
export interface CommandResult<Output extends string | Buffer = string> {
  /** The command as given to `run` or `sudo`. */
  readonly command: string
  /** Everything the command wrote to stdout. */
  readonly stdout: Output
  /** Everything the command wrote to stderr. */
  readonly stderr: Output
  /** The exit status, or null when none was reported (e.g. the command was killed by a signal). */
  readonly exitCode: number | null
  /** The signal that ended the command, as the server named it, or null. */
  readonly signal: string | null
  /** Whether the command exited with code 0. */
  readonly ok: boolean
}

/** Raises when a command exits non-zero and `warn` was not set (Fabric's `UnexpectedExit`). */
export class UnexpectedExitError<Output extends string | Buffer = string> extends SSHError {
  override readonly name = 'UnexpectedExitError' as const
  override readonly code = 'ERR_SSH_UNEXPECTED_EXIT' as const
  /** The full result of the command. */
  readonly result: CommandResult<Output>

  static {
    this.brand('ERR_SSH_UNEXPECTED_EXIT')
  }

  /** Creates an unexpected-exit error. */
  constructor(message: string, fields: { result: CommandResult<Output> }, options?: SSHErrorOptions) {
    super(message, options)
    this.result = fields.result
  }
}
