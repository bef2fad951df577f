import { Writable } from 'node:stream'
import { Channel, type ChannelAddressInfo } from '../channel.js'
import type { RawChannel } from '../channel-duplex.js'
import { SSHError } from '../errors.js'
import type { RawServerStream } from '../internal/server-protocol.js'
import type { TransportEndView } from '../internal/transport-end.js'

/** A pty-req's terminal (RFC 4254 §6.2): TERM, size in characters and pixels, encoded modes. */
export interface ServerPty {
  readonly term: string
  readonly cols: number
  readonly rows: number
  readonly width: number
  readonly height: number
  /** Terminal modes by their RFC 4254 §8 mnemonics (e.g. `{ ECHO: 1 }`), as the client sent them. */
  readonly modes: Readonly<Record<string, number>>
}

/** An x11-req's parameters (RFC 4254 §6.3.1): the X display the client offers to forward. */
export interface ServerX11 {
  /** Whether only one X connection should be forwarded. */
  readonly single: boolean
  /** The X authentication protocol, e.g. 'MIT-MAGIC-COOKIE-1'. */
  readonly protocol: string
  /** The authentication cookie, hex-encoded as sent (a fake one the client swaps for its real one). */
  readonly cookie: string
  /** The X screen number. */
  readonly screen: number
}

/**
 * A channel the client opened, as the server role sees it: a Duplex whose readable side is
 * what the client sends (stdin) and whose writable side goes to the client (stdout). Session
 * channels add `stderr`, `exit()`/`exitSignal()`, the pty and env the client asked for, and
 * what started them. paramiko's server-side `Channel`.
 *
 * Events besides the Duplex ones: `'window-change'(cols, rows, width, height)` (after
 * `checkWindowChangeRequest` allowed it), `'signal'(name)` (RFC 4254 §6.9, without "SIG"),
 * `'break'(lengthMs)` (RFC 4335).
 *
 * @example
 * ```ts
 * const ch = await t.accept()
 * if (ch?.command === 'whoami') { ch.write('me\n'); ch.stderr.write('note\n'); ch.exit(0) }
 * ```
 */
export class ServerChannel extends Channel {
  /** Extended data of type 1 (RFC 4254 §5.2) to the client; writable once the session started. */
  readonly stderr: Writable
  #pty: ServerPty | undefined
  #x11: ServerX11 | undefined
  #agentForwarding = false
  readonly #env: Record<string, string> = {}
  #command: string | undefined
  #subsystem: string | undefined
  #isShell = false
  #stream: RawServerStream | undefined
  #exit: { code: number } | { name: string; coreDumped: boolean; message: string } | undefined
  #fallbackExit: { code: number } | undefined
  readonly #address: ChannelAddressInfo

  /** Creates the channel; the server role does. @internal */
  constructor(kind: string, raw: RawChannel | undefined, address: ChannelAddressInfo, transportEnd?: TransportEndView) {
    super(kind, raw, address, transportEnd)
    this.#address = { ...address }
    this.stderr = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        const stream = this.#stream
        if (!stream) cb(new SSHError('the session has not started: no stderr yet'))
        else stream.stderr.write(chunk, cb)
      },
    })
  }

  /** A direct-tcpip channel's target: the host and port the client asked us to connect to (RFC 4254 §7.2). */
  get destination(): readonly [string, number] | undefined {
    const a = this.#address
    return this.kind === 'direct-tcpip' && a.localAddress !== undefined ? [a.localAddress, a.localPort ?? 0] : undefined
  }

  /** A direct-tcpip channel's originator as the client reported it (RFC 4254 §7.2). */
  get origin(): readonly [string, number] | undefined {
    const a = this.#address
    return this.kind === 'direct-tcpip' && a.remoteAddress !== undefined ? [a.remoteAddress, a.remotePort ?? 0] : undefined
  }

  /** A direct-streamlocal@openssh.com channel's socket path. */
  get socketPath(): string | undefined {
    return this.kind === 'direct-streamlocal@openssh.com' ? this.#address.remoteAddress : undefined
  }

  /** The terminal a pty-req asked for and the server allowed, if any. */
  get pty(): ServerPty | undefined {
    return this.#pty
  }

  /** The X11 forwarding an x11-req asked for and `checkX11Request` allowed, if any. */
  get x11(): ServerX11 | undefined {
    return this.#x11
  }

  /** Whether the client asked to forward its agent and `checkAgentForwardRequest` allowed it. */
  get agentForwarding(): boolean {
    return this.#agentForwarding
  }

  /** The variables env requests set and `checkEnvRequest` allowed. */
  get env(): Readonly<Record<string, string>> {
    return { ...this.#env }
  }

  /** The command of an exec request, once it started. */
  get command(): string | undefined {
    return this.#command
  }

  /** The subsystem name, once a subsystem request started. */
  get subsystem(): string | undefined {
    return this.#subsystem
  }

  /** Whether a shell request started this session. */
  get isShell(): boolean {
    return this.#isShell
  }

  /**
   * Ends the channel with an exit status (RFC 4254 §6.10): written output goes first, then
   * exit-status, EOF and CLOSE. paramiko's `send_exit_status` followed by `close`.
   */
  exit(code: number): void {
    if (!Number.isInteger(code) || code < 0 || code > 0xffffffff) throw new RangeError('exit code must be an integer ≥ 0')
    this.#exit ??= { code }
    this.end()
  }

  /**
   * Records the exit status to send when the channel ends without {@link exit} or
   * {@link exitSignal}, without ending it: for code that ends the stream itself (an SFTP server),
   * so the client still learns how the session ended. `exit()` and `exitSignal()` take precedence.
   */
  setExitStatus(code: number): void {
    if (!Number.isInteger(code) || code < 0 || code > 0xffffffff) throw new RangeError('exit code must be an integer ≥ 0')
    this.#fallbackExit = { code }
  }

  /** Ends the channel with an exit signal (RFC 4254 §6.10), `name` without "SIG", e.g. 'TERM'. */
  exitSignal(name: string, coreDumped = false, message = ''): void {
    if (typeof name !== 'string' || name === '') throw new TypeError('signal name must be a non-empty string')
    this.#exit ??= { name: name.replace(/^SIG/, ''), coreDumped, message }
    this.end()
  }

  /** Records the pty. @internal */
  setPty(pty: ServerPty): void {
    this.#pty = Object.freeze({ ...pty, modes: Object.freeze({ ...pty.modes }) })
  }

  /** Records the allowed x11-req. @internal */
  setX11(x11: ServerX11): void {
    this.#x11 = Object.freeze({ ...x11 })
  }

  /** Records the allowed auth-agent-req. @internal */
  setAgentForwarding(): void {
    this.#agentForwarding = true
  }

  /** Records one env variable. @internal */
  setEnv(name: string, value: string): void {
    this.#env[name] = value
  }

  /** Attaches the started session's stream. @internal */
  start(how: { shell: true } | { command: string } | { subsystem: string }, stream: RawServerStream): void {
    if ('shell' in how) this.#isShell = true
    else if ('command' in how) this.#command = how.command
    else this.#subsystem = how.subsystem
    this.#stream = stream
    this.attachChannel(stream)
  }

  override _final(callback: (error?: Error | null) => void): void {
    const stream = this.#stream
    const exit = this.#exit ?? this.#fallbackExit
    if (stream && exit && !this.innerClosed) {
      this.#exit = undefined
      this.#fallbackExit = undefined
      if ('code' in exit) stream.sendExitStatus(exit.code)
      else stream.sendExitSignal(exit.name, exit.coreDumped, exit.message)
    }
    super._final(callback)
  }
}
