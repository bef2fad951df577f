/** ProxyCommand: a subprocess whose stdin/stdout carry the SSH connection, run by /bin/sh. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { onAbort } from '@x/transport'
import { ProxyCommandError } from './proxy-command-error.js'
import { checkHostForCommand, checkUserForCommand } from './check-names.js'
import { expandTokens } from './expand-tokens.js'
import { ProxyCommandSocket } from './proxy-command-socket.js'

/** Configures {@link openProxyCommand}. */
export interface ProxyCommandOptions {
  /** `%h`: the host to reach (after ssh_config HostName). */
  readonly host: string
  /** `%p`: the port to reach. */
  readonly port: number
  /** `%r`: the remote user; a command that uses `%r` without one is a ConfigError. */
  readonly user?: string | undefined
  /** `%n`: the host as the caller wrote it (default: `host`). */
  readonly alias?: string | undefined
  /**
   * Set when `host`, `user` or `alias` come from an API caller rather than from ssh_config:
   * they are then checked with {@link checkHostForCommand} / {@link checkUserForCommand}
   * before anything runs (OpenSSH's rule after CVE-2023-51385). Default false, as OpenSSH
   * trusts values from its config files.
   */
  readonly untrusted?: boolean | undefined
  /** Aborts the start: the command's group is stopped and the promise rejects with `signal.reason`. */
  readonly signal?: AbortSignal | undefined
  /** Environment of the command (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv | undefined
  /** Milliseconds between SIGTERM and SIGKILL when the socket is destroyed (default 2000). */
  readonly graceMs?: number | undefined
  /** The shell that runs the command (default '/bin/sh'). */
  readonly shell?: string | undefined
}

/**
 * Starts a ProxyCommand and returns its stdin/stdout as a socket for the next `Transport`;
 * OpenSSH's ProxyCommand, Fabric's `gateway='…'` string, paramiko's `ProxyCommand`. Tokens
 * `%h %p %r %n %%` are expanded, then the command runs as `/bin/sh -c 'exec <command>'` in a
 * process group of its own (see {@link ProxyCommandSocket} for how it ends and is cleaned up).
 * Resolves once the process has started; a command that then fails is reported by the socket,
 * as `ProxyCommandError`, when it is used.
 *
 * @throws TypeError / RangeError for arguments of the wrong type or range.
 * @throws ConfigError for an unknown or value-less token, or (with `untrusted`) an unsafe host,
 *   user or alias; nothing has run yet.
 * @throws ProxyCommandError when the shell cannot be started (e.g. ENOENT).
 * @throws `signal.reason` when `signal` aborts; the process group is gone by then.
 * @example
 * ```ts
 * const sock = await openProxyCommand('ssh -W %h:%p bastion', { host: 'db.internal', port: 22 })
 * const t = new Transport(sock, { hostname: 'db.internal', port: 22 })
 * await t.startClient() // a failing command rejects this with ProxyCommandError
 * ```
 */
export async function openProxyCommand(command: string, options: ProxyCommandOptions): Promise<ProxyCommandSocket> {
  if (typeof command !== 'string' || command.trim() === '') throw new TypeError('command must be a non-empty string')
  const { host, port, user, alias, signal, env, graceMs = 2000, shell = '/bin/sh' } = options
  if (typeof host !== 'string') throw new TypeError('host must be a string')
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError('port must be an integer 1–65535')
  if (user !== undefined && typeof user !== 'string') throw new TypeError('user must be a string')
  if (alias !== undefined && typeof alias !== 'string') throw new TypeError('alias must be a string')
  if (typeof graceMs !== 'number' || !Number.isFinite(graceMs) || graceMs < 0) throw new RangeError('graceMs must be a finite number ≥ 0')
  signal?.throwIfAborted()
  if (options.untrusted === true) {
    checkHostForCommand(host)
    if (alias !== undefined) checkHostForCommand(alias)
    if (user !== undefined) checkUserForCommand(user)
  }
  const expanded = expandTokens(command, { h: host, p: port, n: alias ?? host, ...(user === undefined ? {} : { r: user }) })
  const child = spawn(shell, ['-c', `exec ${expanded}`], { detached: true, stdio: 'pipe', env: env ?? process.env })
  if (child.pid === undefined) throw await spawnFailure(child, expanded)
  const socket = new ProxyCommandSocket(child, expanded, graceMs)
  if (signal === undefined) return socket
  // Wait for 'spawn' only to give an abort its chance; the process exists already.
  const aborted = await new Promise<boolean>((resolve) => {
    if (signal.aborted) return resolve(true)
    const aborting = onAbort(signal, () => resolve(true))
    child.once('spawn', () => {
      aborting[Symbol.dispose]()
      resolve(signal.aborted)
    })
  })
  if (!aborted) return socket
  socket.destroy()
  await socket.reaped
  throw signal.reason
}

/** Collects the 'error' of a spawn that failed and frees its pipes. */
function spawnFailure(child: ChildProcessWithoutNullStreams, command: string): Promise<ProxyCommandError> {
  return new Promise((resolve) => {
    child.once('error', (err) => {
      for (const stream of [child.stdin, child.stdout, child.stderr]) stream?.destroy()
      resolve(new ProxyCommandError(`cannot start ProxyCommand ${JSON.stringify(command)}: ${err.message}`, {
        command, exitCode: null, signal: null, stderrTail: '',
      }, { cause: err }))
    })
  })
}
