import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { Duplex, finished } from 'node:stream'
import { ProxyCommandError } from './proxy-command-error.js'
import { ProcessGroup } from './process-group.js'
import { StderrTail } from './stderr-tail.js'

/** How many bytes of the command's stderr are kept. */
const STDERR_TAIL_BYTES = 8192
/** How long an early end waits for the exit status and the rest of stderr before judging. */
const SETTLE_MS = 500
/** How long `reaped` waits for the child's pipes to close once its group is gone. */
const PIPES_MS = 1000

/**
 * Presents a running ProxyCommand as a byte stream: writes go to its stdin, reads come from its
 * stdout, stderr is drained into a bounded tail. Made by {@link openProxyCommand}; hand it to
 * `new Transport(sock, { hostname, port })`. OpenSSH's `ssh_proxy_connect()`.
 *
 * When the command exits, or closes its stdout, before this socket was ended or destroyed by
 * its user, the readable side does not simply end: the socket waits up to 500 ms for the exit
 * status and then fails with `ProxyCommandError { command, exitCode, signal, stderrTail }` if the
 * command exited non-zero, was killed by a signal, stopped reading its input, or never sent a
 * byte; otherwise it ends normally. This is judged only once the socket is in use (read from or
 * written to), so an error never fires before a Transport has attached its listeners.
 *
 * `destroy()` (which a closing Transport calls) sends SIGTERM to the command's whole process
 * group, SIGKILL after `graceMs`, and reaps it: no zombie, no orphan; `reaped` resolves when the
 * group is gone. The socket always has a no-op `'error'` listener of its own, so an error nobody
 * else listens to never becomes an uncaught exception; see `errored` or listen for `'error'`.
 */
export class ProxyCommandSocket extends Duplex {
  /** PID of the command (`/bin/sh`, replaced by the command through `exec`); also its process group ID. */
  readonly pid: number
  /** The command as run, tokens expanded (without the `exec ` prefix). */
  readonly command: string
  /**
   * Resolves after `destroy()` once the command's process group is gone and its pipes are closed;
   * never rejects. (Named so because `Duplex#closed` is already the stream's boolean.)
   */
  readonly reaped: Promise<void>
  readonly #child: ChildProcessWithoutNullStreams
  readonly #group: ProcessGroup
  readonly #stderr: StderrTail
  readonly #graceMs: number
  readonly #stdoutEnded: Promise<void>
  #startClosing!: () => void
  #bytesRead = 0
  #bytesWritten = 0
  #outputDone = false
  #inputBroken = false
  #inUse = false
  #pendingEnd = false
  #judging = false
  #ended = false

  /** Wraps a spawned child (its `pid` set). Use {@link openProxyCommand}. @internal */
  constructor(child: ChildProcessWithoutNullStreams, command: string, graceMs: number) {
    super({ allowHalfOpen: false })
    this.on('error', () => {})
    this.#child = child
    this.pid = child.pid!
    this.command = command
    this.#graceMs = graceMs
    this.#group = new ProcessGroup(child, this.pid)
    this.#stderr = new StderrTail(child.stderr, STDERR_TAIL_BYTES)
    const { stdin, stdout } = child
    stdin.on('error', () => this.#onChildEnd('input'))
    stdout.on('error', () => this.#onChildEnd('output'))
    stdout.on('data', (chunk: Buffer) => {
      this.#bytesRead += chunk.length
      if (!this.push(chunk)) stdout.pause()
    })
    stdout.pause() // until someone reads this socket
    this.#stdoutEnded = new Promise((resolve) => stdout.once('end', resolve))
    stdout.once('end', () => this.#onChildEnd('output'))
    void this.#group.exited.then(() => this.#onChildEnd('exit'))
    this.reaped = new Promise<void>((resolve) => {
      this.#startClosing = resolve
    }).then(() => this.#teardown())
  }

  /** The last bytes (up to 8 KiB) the command wrote to stderr, as text. */
  get stderrTail(): string {
    return this.#stderr.text
  }

  /** The command's exit code once it has exited (null while running or when killed by a signal). */
  get exitCode(): number | null {
    return this.#group.status?.code ?? null
  }

  /** The signal that ended the command, once known (null otherwise). */
  get signalCode(): NodeJS.Signals | null {
    return this.#group.status?.signal ?? null
  }

  /** Bytes read from the command's stdout so far; `net.Socket.bytesRead`. */
  get bytesRead(): number {
    return this.#bytesRead
  }

  /** Bytes handed to the command's stdin so far; `net.Socket.bytesWritten`. */
  get bytesWritten(): number {
    return this.#bytesWritten
  }

  override _read(): void {
    this.#use()
    this.#child.stdout.resume()
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#use()
    const { stdin } = this.#child
    if (this.#inputBroken || stdin.destroyed) {
      // The command stopped reading: the data is lost, and the socket is about to fail with why.
      callback()
      this.#onChildEnd('input')
      return
    }
    this.#bytesWritten += chunk.length
    stdin.write(chunk, (err) => {
      if (err) this.#onChildEnd('input')
      callback()
    })
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#ended = true
    const { stdin } = this.#child
    if (stdin.destroyed || stdin.writableFinished) return callback()
    finished(stdin, { readable: false }, () => callback())
    stdin.end()
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#child.stdin.destroy()
    this.#child.stdout.destroy()
    this.#startClosing()
    callback(error)
  }

  #use(): void {
    if (this.#inUse) return
    this.#inUse = true
    if (this.#pendingEnd) this.#onChildEnd('exit')
  }

  #onChildEnd(what: 'input' | 'output' | 'exit'): void {
    if (what === 'input') this.#inputBroken = true
    if (what === 'output') this.#outputDone = true
    if (this.destroyed || this.#judging) return
    if (!this.#inUse) {
      this.#pendingEnd = true
      return
    }
    this.#judging = true
    void this.#judge()
  }

  /** Decides, once the exit status and the rest of stderr are in (bounded), how the stream ends. */
  async #judge(): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      Promise.all([this.#group.exited, this.#stderr.ended, this.#outputDone ? undefined : this.#stdoutEnded]),
      new Promise((resolve) => (timer = setTimeout(resolve, SETTLE_MS))),
    ])
    clearTimeout(timer)
    this.#judging = false
    if (this.destroyed) return
    const status = this.#group.status
    const failedExit = status !== undefined && (status.code !== 0 || status.signal !== null)
    if (!this.#ended && (failedExit || this.#inputBroken || (this.#outputDone && this.#bytesRead === 0))) {
      this.destroy(this.#error())
    } else if (this.#outputDone) {
      this.push(null)
    }
    // Otherwise the command exited 0 while something it started still holds stdout open: the
    // stream goes on until that ends.
  }

  #error(): ProxyCommandError {
    const status = this.#group.status
    const exitCode = status?.code ?? null
    const signal = status?.signal ?? null
    const stderrTail = this.#stderr.text
    const line = this.#stderr.lastLine
    const how = signal !== null ? `was killed by ${signal}`
      : exitCode !== null && exitCode !== 0 ? `exited with code ${exitCode}`
      : this.#inputBroken ? 'stopped reading its input'
      : exitCode === 0 ? 'exited (code 0) before sending any data'
      : 'closed its output before sending any data'
    return new ProxyCommandError(`ProxyCommand ${JSON.stringify(this.command)} ${how}${line === '' ? '' : `: ${line}`}`, {
      command: this.command, exitCode, signal, stderrTail,
    })
  }

  async #teardown(): Promise<void> {
    await this.#group.stop(this.#graceMs)
    const child = this.#child
    // Something outside the group may still hold stderr open; it is not ours to wait for.
    child.stderr.destroy()
    if (child.stdin.closed && child.stdout.closed && child.stderr.closed) return
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      Promise.all([child.stdin, child.stdout, child.stderr].map((s) => new Promise((resolve) => finished(s, () => resolve(undefined))))),
      new Promise((resolve) => (timer = setTimeout(resolve, PIPES_MS))),
    ])
    clearTimeout(timer)
  }
}
