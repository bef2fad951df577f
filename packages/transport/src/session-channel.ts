import { Readable } from 'node:stream'
import { Channel } from './channel.js'
import { ConnectionLostError, SSHError } from './errors.js'
import type { RawSessionChannel, SessionControl } from './internal/client-protocol.js'
import type { TransportEndView } from './internal/transport-end.js'

/** Terminal settings for {@link SessionChannel.getPty} (RFC 4254 §6.2). */
export interface PtyOptions {
  /** TERM value; default 'vt100'. */
  term?: string | undefined
  /** Width in characters; default 80. */
  cols?: number | undefined
  /** Height in rows; default 24. */
  rows?: number | undefined
  /** Width in pixels; default 640. */
  width?: number | undefined
  /** Height in pixels; default 480. */
  height?: number | undefined
  /** Encoded terminal modes (RFC 4254 §8), by opcode name, e.g. `{ ECHO: 0 }`. */
  modes?: Record<string, number> | undefined
}

/** How a session's command ended: paramiko's `recv_exit_status` plus the signal. */
export interface ExitStatus {
  /** Exit code, or null when the command died of a signal or sent no status. */
  readonly code: number | null
  /** Signal name such as 'SIGKILL', or null. */
  readonly signal: string | null
}

/** What a session channel asks of its transport before it exists (its open is deferred). @internal */
export interface SessionBackend {
  /** Opens the session with `request`; calls `attach` synchronously once the channel exists. */
  start(request: SessionRequest, attach: (channel: RawSessionChannel, control: SessionControl) => void): Promise<void>
}

/** The first request of a session channel, with the settings gathered before it. @internal */
export type SessionRequest =
  | { kind: 'exec'; command: string; pty: PtyOptions | undefined; env: Record<string, string>; agentForward?: boolean | undefined }
  | { kind: 'shell'; pty: PtyOptions | undefined; env: Record<string, string>; agentForward?: boolean | undefined }
  | { kind: 'subsystem'; name: string; env: Record<string, string> }

/**
 * A session channel (RFC 4254 §6): a {@link Channel} whose readable side is the command's stdout,
 * with `stderr`, the session requests and the exit status; paramiko's `Channel` of
 * `open_session()`. Only `Transport.openSession()` makes one, so `exec()` on a direct-tcpip
 * channel is a type error.
 *
 * A session channel opens together with its first request (`exec`, `invokeShell` or
 * `invokeSubsystem`): the SSH library underneath sends the open and that request as one step,
 * so `getPty()` and `setEnvironmentVariable()` are gathered first and sent with it, and a
 * refusal (e.g. sshd's MaxSessions) surfaces from that request.
 *
 * @example
 * ```ts
 * const ch = await t.openSession()
 * await ch.exec('uname -a')
 * ch.pipe(process.stdout)
 * const { code } = await ch.exitStatus()
 * ```
 */
export class SessionChannel extends Channel {
  /** The command's stderr (extended data, RFC 4254 §5.2). */
  readonly stderr: Readable
  readonly #backend: SessionBackend
  #control: SessionControl | undefined
  #pty: PtyOptions | undefined
  #agentForward = false
  readonly #env: Record<string, string> = {}
  #started = false
  #exit: ExitStatus | undefined
  #exitError: ConnectionLostError | undefined
  readonly #exitWaiters: Array<{ resolve: (status: ExitStatus) => void; reject: (err: unknown) => void }> = []
  #endWatch: Disposable | undefined

  /** Creates a session channel; use `Transport.openSession()` instead. @internal */
  constructor(backend: SessionBackend, transportEnd?: TransportEndView) {
    super('session', undefined, {}, transportEnd)
    this.#backend = backend
    this.stderr = new Readable({ read: () => (this.inner as RawSessionChannel | undefined)?.stderr?.resume() })
    // The exit status can no longer come once the Transport ended (Go's ExitMissingError).
    this.#endWatch = transportEnd?.onEnd((cause) => {
      this.#settleExit(undefined, new ConnectionLostError('the SSH connection ended before the command\'s exit status arrived', { cause }))
    })
  }

  /** Requests a pseudo-terminal; paramiko's `get_pty`. Sent with the first request. */
  getPty(options: PtyOptions = {}): void {
    this.#beforeStart('getPty')
    this.#pty = { ...options }
  }

  /** Sets an environment variable for the command; paramiko's `set_environment_variable`. */
  setEnvironmentVariable(name: string, value: string): void {
    this.#beforeStart('setEnvironmentVariable')
    if (typeof name !== 'string' || name === '') throw new TypeError('environment variable name must be a non-empty string')
    this.#env[name] = String(value)
  }

  /**
   * Runs `command`; paramiko's `exec_command`. Resolves once the server accepted it.
   * @throws ChannelOpenError when the server refuses the session; SSHError when it refuses the request.
   */
  exec(command: string): Promise<void> {
    if (typeof command !== 'string') return Promise.reject(new TypeError('command must be a string'))
    return this.#start({ kind: 'exec', command, pty: this.#pty, env: { ...this.#env }, agentForward: this.#agentForward })
  }

  /**
   * Starts an interactive shell; paramiko's `invoke_shell`. Requests a pty (default settings
   * unless {@link getPty} set them), except with `pty: false`: a shell without a terminal, as
   * `ssh -T host` asks for.
   */
  invokeShell(options: { readonly pty?: boolean | undefined } = {}): Promise<void> {
    return this.#start({ kind: 'shell', pty: options.pty === false ? undefined : (this.#pty ?? {}), env: { ...this.#env }, agentForward: this.#agentForward })
  }

  /**
   * Asks for agent forwarding (auth-agent-req@openssh.com) with the coming exec or shell, when
   * the transport's `agentForwardingSessions` is `'requested'` (with `'all'` every session asks
   * anyway); paramiko's `request_forward_agent`. Without an `agentForwarding` socket it does nothing.
   */
  requestAgentForwarding(): void {
    this.#beforeStart('requestAgentForwarding')
    this.#agentForward = true
  }

  /** Starts a subsystem such as 'sftp'; paramiko's `invoke_subsystem`. */
  invokeSubsystem(name: string): Promise<void> {
    return this.#start({ kind: 'subsystem', name, env: { ...this.#env } })
  }

  /** Changes the terminal size; paramiko's `resize_pty`. */
  resizePty(cols: number, rows: number, width = 0, height = 0): void {
    this.#session('resizePty').setWindow(rows, cols, height, width)
  }

  /**
   * Sends a signal such as 'TERM' or 'SIGTERM' to the command (RFC 4254 §6.9), also after our
   * stdin ended. Returns whether the request went out (false once the channel is closing). The
   * server may ignore it: OpenSSH refuses it for root logins ("session signalling requires
   * privilege separation") and for forced commands; Dropbear signals only the session's first
   * process, not its children.
   */
  sendSignal(name: string): boolean {
    this.#session('sendSignal')
    return this.#control!.signal(name.replace(/^SIG/, ''))
  }

  /**
   * Returns the names set with {@link setEnvironmentVariable} that the server refused (sshd
   * accepts only its AcceptEnv names); complete once `exec()`/`invokeShell()` resolved.
   */
  refusedEnvironmentVariables(): readonly string[] {
    return this.#control?.refusedEnv() ?? []
  }

  /**
   * Resolves with how the command ended; paramiko's `recv_exit_status`. When the channel
   * closes without an exit status, resolves with `{ code: null, signal: null }`.
   * @throws ConnectionLostError when the Transport ended before the exit status arrived (its
   * cause, if any, in `cause`); Go's `ExitMissingError`.
   */
  exitStatus(): Promise<ExitStatus> {
    if (this.#exit) return Promise.resolve(this.#exit)
    if (this.#exitError) return Promise.reject(this.#exitError)
    return new Promise((resolve, reject) => this.#exitWaiters.push({ resolve, reject }))
  }

  /** Ends stderr and records the exit status once the raw channel closes. @internal */
  protected override onInnerClose(): void {
    this.stderr.push(null)
    this.#settleExit({ code: null, signal: null })
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // The exit status may still be on its way (OpenSSH can send EOF before exit-signal): when
    // the raw channel is open, onInnerClose records the outcome once the library closes it.
    if (!this.inner || this.innerClosed) this.#settleExit({ code: null, signal: null })
    // End stderr rather than destroy it: Node destroys this Duplex as soon as stdout ended and
    // stdin finished, and stderr's last data and 'end' may still be unread.
    this.stderr.push(null)
    super._destroy(error, callback)
  }

  async #start(request: SessionRequest): Promise<void> {
    if (this.#started) throw new SSHError('this session already started a command, shell or subsystem')
    if (this.destroyed) throw new SSHError('the channel was destroyed')
    this.#started = true
    await this.#backend.start(request, (raw, control) => {
      if (this.destroyed) raw.destroy()
      else this.#attachSession(raw, control)
    })
    if (!this.inner) throw new SSHError('the channel was destroyed while it opened')
  }

  #attachSession(raw: RawSessionChannel, control: SessionControl): void {
    this.#control = control
    raw.on('exit', (code: number | null, signal?: string) => {
      this.#settleExit({ code: typeof code === 'number' ? code : null, signal: signal ?? null })
    })
    const stderr = raw.stderr
    if (stderr) {
      stderr.on('data', (chunk: Buffer) => {
        if (!this.stderr.push(chunk)) stderr.pause()
      })
      stderr.on('end', () => this.stderr.push(null))
      stderr.on('error', () => {})
    }
    this.attachChannel(raw)
  }

  /** Settles exitStatus() once: with `status`, or with `error` when none can come. */
  #settleExit(status: ExitStatus | undefined, error?: ConnectionLostError): void {
    if (this.#exit || this.#exitError) return
    this.#endWatch?.[Symbol.dispose]()
    this.#endWatch = undefined
    if (status) this.#exit = Object.freeze(status)
    else this.#exitError = error
    for (const waiter of this.#exitWaiters.splice(0)) {
      if (this.#exit) waiter.resolve(this.#exit)
      else waiter.reject(this.#exitError)
    }
  }

  #beforeStart(method: string): void {
    if (this.#started) throw new SSHError(`${method}() must come before exec(), invokeShell() or invokeSubsystem()`)
  }

  #session(method: string): RawSessionChannel {
    const raw = this.inner as RawSessionChannel | undefined
    if (!raw || !this.#control) throw new SSHError(`${method}() needs a started session channel`)
    return raw
  }
}
