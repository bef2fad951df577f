/**
 * Fabric's `run`: one command on a session channel, its output captured (and streamed to
 * callbacks), watchers answering prompts, a time limit and an AbortSignal.
 * @internal
 */
import type { Readable } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'
import { ConnectionLostError, TimeoutError, onAbort, type SessionChannel, type CommandStop, type PtyOptions } from '@x/transport'
import { MaxBufferError } from './errors/max-buffer-error.js'
import { UnexpectedExitError, type CommandResult } from './errors/unexpected-exit-error.js'
import { PidLineFilter, recordAbortStop, stopCommand } from './command-stop.js'
import type { KillTarget } from './kill-script.js'

/** Answers a prompt: when `pattern` appears in the output, `response` is written to stdin (Fabric's Responder). */
export interface Watcher {
  /** A RegExp or a literal string to look for in stdout and stderr. */
  readonly pattern: RegExp | string
  /** What to send when it appears (include the newline). */
  readonly response: string
}

/** How `run()` hands back output: 'utf8' text (the default) or the bytes as sent ('buffer'). */
export type RunEncoding = 'utf8' | 'buffer'

/** The type of a Result's `stdout`/`stderr` for the encoding `E`. */
export type RunOutput<E extends RunEncoding> = E extends 'buffer' ? Buffer : string

/**
 * Options of `Connection.run()`. `E` is the `encoding` it asks for: `RunOptions` alone is a run
 * with text output, `RunOptions<'buffer'>` one with Buffers.
 */
export interface RunOptions<E extends RunEncoding = 'utf8'> {
  /** Request a pseudo-terminal (true for defaults, or its settings). */
  readonly pty?: boolean | PtyOptions | undefined
  /**
   * Environment variables, sent as RFC 4254 §6.4 `env` requests after those of ssh_config's
   * SendEnv and SetEnv, winning over them for the same name. The server may refuse each
   * (sshd accepts only names its AcceptEnv lists): refused names are listed in
   * {@link Result.refusedEnv}, the command still runs.
   */
  readonly env?: Readonly<Record<string, string>> | undefined
  /** Return a non-zero exit as a Result instead of throwing UnexpectedExitError (Fabric's `warn`). */
  readonly warn?: boolean | undefined
  /**
   * Stop the command after this long and reject with TimeoutError{phase:'command'}, once the
   * stop is done: `err.stop` says how (see {@link CommandStop}) and whether the command may
   * still run on the server. With process-group tracking (the default without a pty) the
   * command and every process in its group are gone when the rejection arrives, unless
   * `err.stop.mayStillRun` says otherwise. docs/timeouts.md has the details.
   */
  readonly timeoutMs?: number | undefined
  /**
   * Stops the command like `timeoutMs` when it fires; the rejection is `signal.reason` itself,
   * and `commandStopOf(reason)` tells how the command was stopped.
   */
  readonly signal?: AbortSignal | undefined
  /** Data for the command's stdin; stdin is closed after it (or at once when absent). */
  readonly stdin?: string | Uint8Array | Readable | undefined
  /** Receives stdout as it arrives. */
  readonly onStdout?: ((chunk: Buffer) => void) | undefined
  /** Receives stderr as it arrives. */
  readonly onStderr?: ((chunk: Buffer) => void) | undefined
  /** Prompts to answer. */
  readonly watchers?: readonly Watcher[] | undefined
  /**
   * 'utf8' (default): `stdout`/`stderr` of the Result are strings; 'buffer': Buffers holding the
   * bytes exactly as sent.
   */
  readonly encoding?: E | undefined
  /**
   * The most bytes captured per stream (stdout, stderr) before the command is stopped as on a
   * timeout and the call rejects with MaxBufferError. Default {@link DEFAULT_MAX_BUFFER}
   * (256 MiB); `Infinity` for no limit. Streaming callbacks see every byte up to the limit.
   */
  readonly maxBuffer?: number | undefined
  /**
   * Put one line in front of the command that prints the shell's pid on stderr (cut out of the
   * output again), so a timeout or abort can kill the command's whole process group from a
   * second session. Default: true when the run has a bound that stops it (`timeoutMs`, `signal`,
   * or an explicit finite `maxBuffer`) and no pty; otherwise the command is sent exactly as
   * given and a stop by the default `maxBuffer` relies on the signal request. Set false to send
   * the command exactly as given even with a bound:
   * for a server whose ForceCommand reads SSH_ORIGINAL_COMMAND (git-shell, rrsync), a login shell
   * that is not a POSIX sh (csh, fish), or command logs that must show the bare command; a stop
   * then relies on the signal request, which OpenSSH refuses for root logins.
   */
  readonly trackProcessGroup?: boolean | undefined
}

/** The default `maxBuffer`: 256 MiB per stream, half of what V8 can hold as one string. */
export const DEFAULT_MAX_BUFFER = 256 * 1024 * 1024

/** How `collectRun` is driven by its callers (Connection, sudo); not part of the public options. @internal */
export interface CollectControls {
  /** Strings to mask as '********' in captured output (sudo passes its password). */
  readonly redact?: readonly string[] | undefined
  /** Leaves stdin open after `stdin` (sudo writes the password when asked). */
  readonly keepStdinOpen?: boolean | undefined
  /** The pid marker of a tracked command line, and how to kill its process group. */
  readonly tracking?: { readonly marker: string; readonly kill: (target: KillTarget) => Promise<boolean> } | undefined
}

/** The outcome of `run()`: Fabric's `Result`. Output is text, or Buffers with `encoding: 'buffer'`. */
export class Result<Output extends string | Buffer = string> implements CommandResult<Output> {
  /** Creates a result; `ok` is derived from the exit code. */
  constructor(
    readonly command: string,
    readonly stdout: Output,
    readonly stderr: Output,
    readonly exitCode: number | null,
    readonly signal: string | null,
    /** Names of `env` variables the server refused (RFC 4254 §6.4); empty when all were set. */
    readonly refusedEnv: readonly string[] = [],
  ) {}

  /** Whether the command exited with code 0. */
  get ok(): boolean {
    return this.exitCode === 0
  }

  /** Whether the command failed (Fabric's `failed`). */
  get failed(): boolean {
    return !this.ok
  }

  /** Returns the fields `JSON.stringify` shows, `ok` and `failed` included (getters are not own properties). */
  toJSON(): { command: string; stdout: Output; stderr: Output; exitCode: number | null; signal: string | null; ok: boolean; failed: boolean; refusedEnv: readonly string[] } {
    return { command: this.command, stdout: this.stdout, stderr: this.stderr, exitCode: this.exitCode, signal: this.signal, ok: this.ok, failed: this.failed, refusedEnv: this.refusedEnv }
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

function redact(data: Buffer, secrets: readonly string[]): Buffer {
  let out = data
  for (const secret of secrets) {
    if (!secret) continue
    const needle = Buffer.from(secret, 'utf8')
    const parts: Buffer[] = []
    let from = 0
    for (let at = out.indexOf(needle); at >= 0; at = out.indexOf(needle, from)) {
      parts.push(out.subarray(from, at), MASK)
      from = at + needle.length
    }
    if (parts.length > 0) out = Buffer.concat([...parts, out.subarray(from)])
  }
  return out
}

const MASK = Buffer.from('********')

/** Why collectRun stops a command. */
class StopCause {
  constructor(readonly kind: 'timeout' | 'abort' | 'max-buffer', readonly stream: 'stdout' | 'stderr' = 'stdout') {}
}

/**
 * Collects the outcome of `command`, already started on `ch`: output (captured, streamed,
 * watched), stdin, exit status, time limit, output limit and abort. A timeout, an abort or
 * `maxBuffer` stops the command on the server (command-stop.ts) before the call rejects.
 */
export async function collectRun<E extends RunEncoding = 'utf8'>(ch: SessionChannel, command: string, options: RunOptions<E>, controls?: CollectControls): Promise<Result<RunOutput<E>>>
export async function collectRun(ch: SessionChannel, command: string, options: RunOptions<RunEncoding>, controls: CollectControls = {}): Promise<Result<string> | Result<Buffer>> {
  const { signal, timeoutMs } = options
  const maxBuffer = options.maxBuffer ?? DEFAULT_MAX_BUFFER
  if (typeof maxBuffer !== 'number' || Number.isNaN(maxBuffer) || maxBuffer < 0) throw new RangeError('maxBuffer must be a non-negative number of bytes (Infinity for no limit)')
  const stdout: Buffer[] = []
  const stderr: Buffer[] = []
  const sizes = { stdout: 0, stderr: 0 }
  let overLimit: ((stream: 'stdout' | 'stderr') => void) | undefined
  const capture = (stream: 'stdout' | 'stderr', chunk: Buffer): Buffer | undefined => {
    const room = maxBuffer - sizes[stream]
    if (chunk.length > room) {
      const kept = chunk.subarray(0, Math.max(0, room))
      sizes[stream] += kept.length
      ;(stream === 'stdout' ? stdout : stderr).push(kept)
      overLimit?.(stream)
      return kept.length > 0 ? kept : undefined
    }
    sizes[stream] += chunk.length
    ;(stream === 'stdout' ? stdout : stderr).push(chunk)
    return chunk
  }
  const answer = (text: string): void => {
    if (!ch.destroyed && ch.writable) ch.write(text)
  }
  const watchOut = new WatchedOutput(options.watchers ?? [], answer)
  const watchErr = new WatchedOutput(options.watchers ?? [], answer)
  const pidLine = controls.tracking ? new PidLineFilter(controls.tracking.marker) : undefined
  let stopping = false
  ch.on('data', (chunk: Buffer) => {
    if (stopping) return
    const kept = capture('stdout', chunk)
    if (!kept) return
    watchOut.feed(kept)
    options.onStdout?.(kept)
  })
  const onStderr = (data: Buffer): void => {
    if (stopping || data.length === 0) return
    const kept = capture('stderr', data)
    if (!kept) return
    watchErr.feed(kept)
    options.onStderr?.(kept)
  }
  ch.stderr.on('data', (chunk: Buffer) => onStderr(pidLine ? pidLine.feed(chunk) : chunk))
  if (pidLine) ch.stderr.once('end', () => onStderr(pidLine.flush()))
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
  let aborting: Disposable | undefined
  const stopped = new Promise<never>((_, reject) => {
    if (timeoutMs !== undefined && timeoutMs > 0) {
      timer = setTimeout(() => reject(new StopCause('timeout')), timeoutMs)
    }
    aborting = onAbort(signal, () => reject(new StopCause('abort')))
    overLimit = (stream) => reject(new StopCause('max-buffer', stream))
  })
  // Both only ever settle a race below; a late rejection must not become unhandled.
  failed.catch(() => {})
  stopped.catch(() => {})
  try {
    feedStdin(ch, options.stdin, controls.keepStdinOpen === true || (options.watchers?.length ?? 0) > 0)
    await Promise.race([ended, failed, stopped])
    // Rejects with ConnectionLostError when the transport ended before the exit status came.
    const status = await Promise.race([ch.exitStatus(), stopped])
    const secrets = controls.redact ?? []
    const out = redact(Buffer.concat(stdout), secrets)
    const err = redact(Buffer.concat(stderr), secrets)
    const refusedEnv = ch.refusedEnvironmentVariables()
    const result = options.encoding === 'buffer'
      ? new Result(command, out, err, status.code, status.signal, refusedEnv)
      : new Result(command, out.toString('utf8'), err.toString('utf8'), status.code, status.signal, refusedEnv)
    if (!result.ok && !options.warn) {
      throw new UnexpectedExitError<string | Buffer>(
        `command exited with ${result.signal ?? `code ${result.exitCode}`}: ${command}`,
        { result },
      )
    }
    return result
  } catch (err) {
    if (err instanceof StopCause) {
      stopping = true
      const tracking = controls.tracking
      const stop = await stopCommand(ch, {
        tracked: pidLine && tracking ? { ids: pidLine, marker: tracking.marker, kill: tracking.kill } : undefined,
        pty: options.pty !== undefined && options.pty !== false,
      })
      if (err.kind === 'abort') {
        recordAbortStop(signal?.reason, stop)
        throw signal?.reason
      }
      if (err.kind === 'timeout') {
        throw new TimeoutError(`command timed out after ${timeoutMs} ms (${describeStop(stop)}): ${command}`, { phase: 'command', timeoutMs: timeoutMs ?? 0, stop })
      }
      throw new MaxBufferError(`command's ${err.stream} exceeded maxBuffer (${maxBuffer} bytes) (${describeStop(stop)}): ${command}`, { maxBuffer, stream: err.stream, stop })
    }
    if (!ch.destroyed) ch.destroy()
    throw err
  } finally {
    if (timer) clearTimeout(timer)
    aborting?.[Symbol.dispose]()
  }
}

function describeStop(stop: CommandStop): string {
  return `stopped by ${stop.method}${stop.mayStillRun ? '; it may still be running' : ''}`
}

/** Sends `stdin` and closes it; with watchers and no stdin, keeps stdin open to answer prompts. */
function feedStdin(ch: SessionChannel, stdin: RunOptions['stdin'], keepOpen: boolean): void {
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
