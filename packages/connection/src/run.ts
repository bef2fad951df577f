/**
 * Fabric's `run`: one command on a session channel, its output captured (and streamed to
 * callbacks), watchers answering prompts, a time limit and an AbortSignal.
 * @internal
 */
import type { Readable } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'
import { ConnectionLostError, TimeoutError, UnexpectedExitError, type Channel, type CommandResult, type PtyOptions } from '@x/transport'

/** Answers a prompt: when `pattern` appears in the output, `response` is written to stdin (Fabric's Responder). */
export interface Watcher {
  /** A RegExp or a literal string to look for in stdout and stderr. */
  readonly pattern: RegExp | string
  /** What to send when it appears (include the newline). */
  readonly response: string
}

/** Options of `Connection.run()`. */
export interface RunOptions {
  /** Request a pseudo-terminal (true for defaults, or its settings). */
  readonly pty?: boolean | PtyOptions | undefined
  /** Environment variables (the server must accept them: sshd's AcceptEnv). */
  readonly env?: Readonly<Record<string, string>> | undefined
  /** Return a non-zero exit as a Result instead of throwing UnexpectedExitError (Fabric's `warn`). */
  readonly warn?: boolean | undefined
  /** Kill the command and reject with TimeoutError{phase:'command'} after this long. */
  readonly timeoutMs?: number | undefined
  readonly signal?: AbortSignal | undefined
  /** Data for the command's stdin; stdin is closed after it (or at once when absent). */
  readonly stdin?: string | Uint8Array | Readable | undefined
  /** Receives stdout as it arrives. */
  readonly onStdout?: ((chunk: Buffer) => void) | undefined
  /** Receives stderr as it arrives. */
  readonly onStderr?: ((chunk: Buffer) => void) | undefined
  /** Prompts to answer. */
  readonly watchers?: readonly Watcher[] | undefined
}

/** How `collectRun` is driven by its callers (Connection, sudo); not part of the public options. @internal */
export interface CollectControls {
  /** Strings to mask as '********' in captured output (sudo passes its password). */
  readonly redact?: readonly string[] | undefined
  /** Leaves stdin open after `stdin` (sudo writes the password when asked). */
  readonly keepStdinOpen?: boolean | undefined
  /**
   * Says why the connection is gone, if it is: a channel that closes without an exit status
   * because its transport died is a lost connection, not a command that exited.
   */
  readonly connectionLost?: (() => Error | undefined) | undefined
}

/** The outcome of `run()`: Fabric's `Result`. */
export class Result implements CommandResult {
  /** Creates a result; `ok` is derived from the exit code. */
  constructor(
    readonly command: string,
    readonly stdout: string,
    readonly stderr: string,
    readonly exitCode: number | null,
    readonly signal: string | null,
  ) {}

  /** Whether the command exited with code 0. */
  get ok(): boolean {
    return this.exitCode === 0
  }

  /** Whether the command failed (Fabric's `failed`). */
  get failed(): boolean {
    return !this.ok
  }
}

class WatchedOutput {
  readonly #decoder = new StringDecoder('utf8')
  #text = ''
  #scanned = 0

  constructor(private readonly watchers: readonly Watcher[], private readonly answer: (text: string) => void) {}

  feed(chunk: Buffer): void {
    if (this.watchers.length === 0) return
    this.#text += this.#decoder.write(chunk)
    for (const w of this.watchers) {
      const re = typeof w.pattern === 'string' ? new RegExp(escapeRegExp(w.pattern), 'g') : new RegExp(w.pattern.source, w.pattern.flags.includes('g') ? w.pattern.flags : `${w.pattern.flags}g`)
      re.lastIndex = this.#scanned
      let match: RegExpExecArray | null
      let end = this.#scanned
      while ((match = re.exec(this.#text)) !== null) {
        this.answer(w.response)
        end = Math.max(end, match.index + Math.max(match[0].length, 1))
        if (match[0].length === 0) re.lastIndex++
      }
      this.#scanned = Math.max(this.#scanned, end)
    }
    // Keep a bounded tail so a prompt split across chunks still matches.
    if (this.#text.length > 64 * 1024) {
      const cut = this.#text.length - 4096
      this.#text = this.#text.slice(cut)
      this.#scanned = Math.max(0, this.#scanned - cut)
    }
  }
}

/** Escapes `text` for use inside a RegExp. @internal */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

function redact(text: string, secrets: readonly string[]): string {
  let out = text
  for (const secret of secrets) if (secret) out = out.split(secret).join('********')
  return out
}

/**
 * Collects the outcome of `command`, already started on `ch`: output (captured, streamed,
 * watched), stdin, exit status, time limit and abort.
 */
export async function collectRun(ch: Channel, command: string, options: RunOptions, controls: CollectControls = {}): Promise<Result> {
  const { signal, timeoutMs } = options
  const stdout: Buffer[] = []
  const stderr: Buffer[] = []
  const answer = (text: string): void => {
    if (!ch.destroyed && ch.writable) ch.write(text)
  }
  const watchOut = new WatchedOutput(options.watchers ?? [], answer)
  const watchErr = new WatchedOutput(options.watchers ?? [], answer)
  ch.on('data', (chunk: Buffer) => {
    stdout.push(chunk)
    watchOut.feed(chunk)
    options.onStdout?.(chunk)
  })
  ch.stderr.on('data', (chunk: Buffer) => {
    stderr.push(chunk)
    watchErr.feed(chunk)
    options.onStderr?.(chunk)
  })
  const ended = Promise.all([
    new Promise<void>((resolve) => ch.once('end', resolve)),
    new Promise<void>((resolve) => ch.stderr.once('end', resolve)),
  ])
  const failed = new Promise<never>((_, reject) => {
    ch.once('error', reject)
    // Destroyed without an error (by sudo's refusal, by the caller): never wait for 'end'.
    ch.once('close', () => {
      if (!ch.readableEnded) reject(new ConnectionLostError(`the channel closed before the command finished: ${command}`))
    })
  })
  let timer: NodeJS.Timeout | undefined
  let onAbort: (() => void) | undefined
  const stopped = new Promise<never>((_, reject) => {
    if (timeoutMs !== undefined && timeoutMs > 0) {
      timer = setTimeout(() => reject(new TimeoutError(`command timed out after ${timeoutMs} ms: ${command}`, { phase: 'command', timeoutMs })), timeoutMs)
    }
    if (signal) {
      onAbort = () => reject(signal.reason)
      signal.addEventListener('abort', onAbort, { once: true })
    }
  })
  // Both only ever settle a race below; a late rejection must not become unhandled.
  failed.catch(() => {})
  stopped.catch(() => {})
  try {
    feedStdin(ch, options.stdin, controls.keepStdinOpen === true || (options.watchers?.length ?? 0) > 0)
    await Promise.race([ended, failed, stopped])
    const status = await Promise.race([ch.exitStatus(), stopped])
    // ssh2 closes every channel when its socket closes: no exit status, and the stream just ends.
    const lost = status.code === null && status.signal === null ? controls.connectionLost?.() : undefined
    if (lost) throw lost
    const secrets = controls.redact ?? []
    const result = new Result(
      command,
      redact(Buffer.concat(stdout).toString('utf8'), secrets),
      redact(Buffer.concat(stderr).toString('utf8'), secrets),
      status.code,
      status.signal,
    )
    if (!result.ok && !options.warn) {
      throw new UnexpectedExitError(
        `command exited with ${result.signal ?? `code ${result.exitCode}`}: ${command}`,
        { result },
      )
    }
    return result
  } catch (err) {
    if (!ch.destroyed) {
      try {
        if (err instanceof TimeoutError || signal?.aborted) ch.sendSignal('KILL')
      } catch {
        // The channel may not have started; destroying it below is enough.
      }
      ch.destroy()
    }
    throw err
  } finally {
    if (timer) clearTimeout(timer)
    if (onAbort) signal?.removeEventListener('abort', onAbort)
  }
}

/** Sends `stdin` and closes it; with watchers and no stdin, keeps stdin open to answer prompts. */
function feedStdin(ch: Channel, stdin: RunOptions['stdin'], keepOpen: boolean): void {
  if (stdin === undefined) {
    if (!keepOpen) ch.end()
    return
  }
  if (typeof stdin === 'string' || stdin instanceof Uint8Array) {
    if (keepOpen) ch.write(stdin)
    else ch.end(stdin)
    return
  }
  stdin.on('error', (err: Error) => ch.destroy(err))
  stdin.pipe(ch, { end: !keepOpen })
}
