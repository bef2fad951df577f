import { stat } from 'node:fs/promises'
import type { SessionEndpoints } from './environment.js'
import { sessionEnvironment } from './environment.js'
import { startPipedProcess } from './piped-process.js'
import { startPtyProcess } from './pty-process.js'
import type { SessionChannelLike } from './session-channel.js'
import type { ProcessEnd, SessionProcess } from './session-process.js'
import { CLIENT_SIGNALS, signalGroup, terminateGroup } from './signals.js'
import { planSpawn } from './spawn-plan.js'
import type { SessionUser } from './user.js'

/** Configures {@link runSession}. */
export interface RunSessionOptions {
  /** The account the session runs as (see `lookupUser`). */
  readonly user: SessionUser
  /** The client's `exec` command; undefined for a `shell` request (an interactive login shell). */
  readonly command?: string | undefined
  /**
   * A command that replaces the client's (authorized_keys `command=`, sshd's ForceCommand): it runs
   * instead, the client's command (if any) goes to SSH_ORIGINAL_COMMAND, and `signal` requests are
   * refused, as sshd refuses them for a forced-command session.
   */
  readonly forcedCommand?: string | undefined
  /** Server-chosen variables (authorized_keys `environment=`, SetEnv), applied after the defaults. */
  readonly env?: Readonly<Record<string, string>> | undefined
  /** The TCP connection's ends, for SSH_CLIENT and SSH_CONNECTION. */
  readonly endpoints?: SessionEndpoints | undefined
  /** The forwarded agent's socket path, for SSH_AUTH_SOCK. */
  readonly agentSocket?: string | undefined
  /** PATH; default sshd's (Debian's) default for the user's uid. */
  readonly path?: string | undefined
  /** How long the process group has between SIGTERM and SIGKILL when the channel closes early; default 2000. */
  readonly killGraceMs?: number | undefined
  /** Aborting it ends the process group as a channel close does; the channel is then destroyed. */
  readonly signal?: AbortSignal | undefined
}

/** Tells how a session ended. */
export interface SessionResult {
  /** The exit code sent as exit-status; null when a signal ended the process. */
  readonly exitCode: number | null
  /** The signal (without `SIG`) sent as exit-signal; null when the process exited. */
  readonly exitSignal: string | null
  /** True when the channel closed (or the signal aborted) before the process exited: nothing was sent. */
  readonly hungUp: boolean
}

const DEFAULT_KILL_GRACE_MS = 2000

/**
 * Runs an exec or shell request of a session channel as a real process, as sshd's do_exec does:
 * `shell -c command` (argv[0] the shell's base name) or a login shell (`-shell`), with sshd's
 * environment, in the user's home directory (or `/`, with sshd's message, when it is missing), as
 * the user when this process is root. With `channel.pty` the process gets a real pseudo-terminal
 * (node-pty) and window-change; without, three pipes. Output is relayed with back-pressure, EOF both
 * ways, then exit-status or exit-signal, then the channel is ended. `signal` requests reach the
 * process group; a channel that closes first has its process group ended (SIGTERM, then SIGKILL
 * after `killGraceMs`). paramiko leaves this to the application; it is gliderlabs' Handler with sshd
 * semantics.
 *
 * @returns how the session ended, once the process is gone.
 * @throws Error when the user must be switched and /usr/bin/setpriv is missing.
 * @example
 * ```ts
 * transport.on('session', async (channel) => {
 *   const started = await channel.started
 *   await runSession(channel, { user: await lookupUser('alice'), command: started.type === 'exec' ? started.command : undefined })
 * })
 * ```
 */
export async function runSession(channel: SessionChannelLike, options: RunSessionOptions): Promise<SessionResult> {
  options.signal?.throwIfAborted()
  const { user } = options
  const forced = options.forcedCommand !== undefined
  const command = forced ? options.forcedCommand : options.command
  const plan = planSpawn(user, command)
  const cwd = await workingDirectory(channel, user.home)
  const env = sessionEnvironment({
    user,
    shell: plan.shell,
    clientEnv: channel.env,
    term: channel.pty?.term,
    endpoints: options.endpoints,
    agentSocket: options.agentSocket,
    originalCommand: forced ? options.command : undefined,
    extraEnv: options.env,
    path: options.path,
  })
  const start = { plan, userName: user.name, env, cwd }
  const child: SessionProcess = channel.pty
    ? startPtyProcess(channel, { ...start, pty: channel.pty })
    : startPipedProcess(channel, start)
  return supervise(channel, child, { forced, graceMs: options.killGraceMs ?? DEFAULT_KILL_GRACE_MS, signal: options.signal })
}

/** Relays signal requests, reports the end, and ends the group when the channel goes first. */
async function supervise(
  channel: SessionChannelLike,
  child: SessionProcess,
  options: { forced: boolean; graceMs: number; signal?: AbortSignal | undefined },
): Promise<SessionResult> {
  const onSignal = (name: string): void => {
    if (!options.forced && CLIENT_SIGNALS.has(name) && child.pid > 0) signalGroup(child.pid, `SIG${name}` as NodeJS.Signals)
  }
  let hungUp = false
  let hangingUp: Promise<void> | undefined
  const hangUp = (): void => {
    if (hungUp) return
    hungUp = true
    child.close()
    hangingUp = child.pid > 0 ? terminateGroup(child.pid, child.exited, { graceMs: options.graceMs, first: child.hangUpSignal }) : undefined
  }
  const onAbort = (): void => {
    hangUp()
    channel.destroy()
  }
  channel.on('signal', onSignal)
  channel.once('close', hangUp)
  options.signal?.addEventListener('abort', onAbort, { once: true })
  let end: ProcessEnd
  try {
    end = await child.exited
    await hangingUp
  } finally {
    channel.off('signal', onSignal)
    channel.off('close', hangUp)
    options.signal?.removeEventListener('abort', onAbort)
  }
  if (hungUp || channel.destroyed) return { exitCode: end.code, exitSignal: end.signal, hungUp: true }
  child.close()
  // exit-status / exit-signal before end(): ssh2 closes a server channel whose writable side ends (G12).
  if (end.signal !== null) channel.exitSignal(end.signal, false, '')
  else channel.exit(end.code)
  channel.end()
  return { exitCode: end.code, exitSignal: end.signal, hungUp: false }
}

/** Returns the home directory, or `/` with sshd's message on stderr when it is not a directory. */
async function workingDirectory(channel: SessionChannelLike, home: string): Promise<string> {
  const info = await stat(home).catch((err: NodeJS.ErrnoException) => err)
  if (!(info instanceof Error) && info.isDirectory()) return home
  const reason = info instanceof Error ? (info.code ?? info.message) : 'not a directory'
  channel.stderr.write(`Could not chdir to home directory ${home}: ${reason}\n`)
  return '/'
}
