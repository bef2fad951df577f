/**
 * Fabric's `sudo`: runs a command through `sudo -S` with a prompt marker unique to this call and
 * answers that prompt with the password. The elevated shell prints a second unique marker before
 * it runs the command, so a refusal is known for certain — whatever sudo's language or
 * `passwd_tries` — and becomes a typed error at once instead of a hang.
 * @internal
 */
import { randomBytes } from 'node:crypto'
import { AuthenticationError, type SessionChannel } from '@x/transport'
import { UnexpectedExitError } from './errors/unexpected-exit-error.js'
import { collectRun, escapeRegExp, Result, type CollectControls, type RunOptions } from './run.js'

/**
 * Options of `Connection.sudo()`. `stdin` is not offered: sudo reads the password from the same
 * stream, so data sent before its prompt would be taken as the password.
 */
export interface SudoOptions extends Omit<RunOptions, 'watchers' | 'stdin' | 'encoding'> {
  /** The sudo password (default: the connection's auth.password). */
  readonly password?: string | undefined
  /** Run as this user instead of root (`sudo -u`). */
  readonly user?: string | undefined
}

/** The markers of one sudo call. @internal */
export interface SudoMarkers {
  /** sudo's prompt (`-p`). */
  readonly prompt: string
  /** Printed on stderr by the elevated shell once sudo let it run. */
  readonly granted: string
}

/** Quotes `text` for a POSIX shell. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`
}

/** The sudo command line for `command`, with markers unique to this call. */
export function sudoCommandLine(command: string, options: SudoOptions): { line: string; markers: SudoMarkers } {
  const id = randomBytes(6).toString('hex')
  const markers = { prompt: `[sudo] password for xssh-${id}: `, granted: `xssh-sudo-granted-${id}` }
  const userFlag = options.user === undefined ? '' : ` -u ${shellQuote(options.user)}`
  const shell = `printf %s ${markers.granted} >&2; exec /bin/sh -c "$0"`
  return {
    line: `sudo -S -p ${shellQuote(markers.prompt)}${userFlag} -- /bin/sh -c ${shellQuote(shell)} ${shellQuote(command)}`,
    markers,
  }
}

/** Finds `marker` in a stream split into chunks. */
class MarkerScanner {
  #tail = ''
  constructor(private readonly marker: string) {}

  /** Counts the markers completed by `chunk`. */
  scan(chunk: Buffer): number {
    let text = this.#tail + chunk.toString('latin1')
    let found = 0
    for (let at = text.indexOf(this.marker); at >= 0; at = text.indexOf(this.marker)) {
      found++
      text = text.slice(at + this.marker.length)
    }
    this.#tail = text.slice(-(this.marker.length - 1))
    return found
  }
}

/** Collects the outcome of a sudo command line started on `ch`, answering its prompt. */
export async function collectSudo(
  ch: SessionChannel,
  command: string,
  markers: SudoMarkers,
  password: string | undefined,
  options: SudoOptions,
  target: string,
  controls: Pick<CollectControls, 'tracking'> = {},
): Promise<Result> {
  const { password: _password, user: _user, warn, ...runOptions } = options
  const prompt = new MarkerScanner(markers.prompt)
  const granted = new MarkerScanner(markers.granted)
  let prompts = 0
  let wasGranted = false
  const strip = (chunk: Buffer): Buffer => {
    const text = chunk.toString('latin1')
    return text.includes(markers.granted) ? Buffer.from(text.split(markers.granted).join(''), 'latin1') : chunk
  }
  // sudo -S prompts on stderr; with a pty everything arrives on stdout. Watch both.
  const outPrompt = new MarkerScanner(markers.prompt)
  const outGranted = new MarkerScanner(markers.granted)
  const watch = (chunk: Buffer, promptScanner: MarkerScanner, grantedScanner: MarkerScanner): Buffer => {
    if (grantedScanner.scan(chunk) > 0) wasGranted = true
    for (let n = promptScanner.scan(chunk); n > 0 && !wasGranted; n--) {
      prompts++
      // A second prompt means the password was wrong; with none to give, the first is a failure.
      if (prompts > 1 || password === undefined) ch.destroy()
      else if (!ch.destroyed && ch.writable) ch.write(`${password}\n`)
    }
    return strip(chunk)
  }
  const onErr = (chunk: Buffer): void => {
    const shown = watch(chunk, prompt, granted)
    runOptions.onStderr?.(shown)
  }
  const onOut = (chunk: Buffer): void => {
    const shown = watch(chunk, outPrompt, outGranted)
    runOptions.onStdout?.(shown)
  }
  const refusal = (cause?: unknown): AuthenticationError =>
    new AuthenticationError(
      password === undefined ? `sudo on ${target} asked for a password and none was given` : `sudo on ${target} rejected the password`,
      { username: options.user ?? 'root', triedMethods: ['sudo'], allowedTypes: [] },
      { cause },
    )
  let raw: Result<string>
  try {
    raw = await collectRun(ch, command, {
      ...runOptions,
      encoding: 'utf8',
      warn: true,
      onStderr: onErr,
      onStdout: onOut,
    }, { ...controls, redact: password ? [password] : [], keepStdinOpen: true })
  } catch (err) {
    if (!wasGranted && prompts > 0) throw refusal(err)
    throw err
  }
  if (!wasGranted) throw refusal()
  // Drop our markers (and, with a pty, the line end sudo echoes after the password).
  const unmark = (text: string): string => text.split(markers.granted).join('').split(new RegExp(`${escapeRegExp(markers.prompt)}(?:\\r?\\n)?`)).join('')
  const result = new Result(command, unmark(raw.stdout), unmark(raw.stderr), raw.exitCode, raw.signal, raw.refusedEnv)
  if (!result.ok && !warn) throw new UnexpectedExitError(`command exited with ${result.signal ?? `code ${result.exitCode}`}: ${command}`, { result })
  return result
}
