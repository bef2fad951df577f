import nodePty from 'node-pty'
import type { IPty } from 'node-pty'
import type { SessionChannelLike, SessionPty } from './session-channel.js'
import type { ProcessEnd, SessionProcess } from './session-process.js'
import { sttyArguments } from './pty-modes.js'
import { signalName } from './signals.js'
import type { SpawnPlan } from './spawn-plan.js'
import { argsWithoutArgv0, asUser } from './spawn-plan.js'
import { chownSync, closeSync, constants as fsConstants, openSync } from 'node:fs'

/**
 * The first program on the pty, already running as the user (after setpriv, never as root with
 * the client's variables): applies the client's modes with stty, learns the slave's name for
 * SSH_TTY (node-pty does not tell it before the fork), then execs the session's program. It runs
 * as /bin/sh `-c SCRIPT program args…`, so `$0` and `$@` are the program and its arguments.
 */
const PTY_PRELUDE = 'if [ -n "$XSSH_STTY" ]; then eval "stty $XSSH_STTY" 2>/dev/null; fi; unset XSSH_STTY; ' +
  'SSH_TTY=$(tty) && export SSH_TTY; exec "$0" "$@"'

/** Describes what {@link startPtyProcess} needs. */
export interface PtyStart {
  readonly plan: SpawnPlan
  readonly userName: string
  readonly env: Readonly<Record<string, string>>
  readonly cwd: string
  readonly pty: SessionPty
}

/**
 * Starts a session's process on a real pseudo-terminal (node-pty's forkpty: a new session whose
 * controlling terminal is the pty) and relays it both ways: the pty's output to the channel,
 * paused while the channel's buffer is full; the channel's data to the pty; window-change to
 * TIOCSWINSZ. The client's EOF is ignored, as sshd ignores it on a tty (the pty has no half-close).
 */
export function startPtyProcess(channel: SessionChannelLike, start: PtyStart): SessionProcess {
  const { plan } = start
  const { file, args } = asUser(plan, start.userName, '/bin/sh', ['-c', PTY_PRELUDE, plan.file, ...argsWithoutArgv0(plan)])
  const stty = sttyArguments(start.pty.modes).join(' ')
  const env: Record<string, string> = { ...start.env, ...(stty ? { XSSH_STTY: stty } : {}) }
  // node-pty sets TERM itself ('xterm' without a name): pass the client's, or the caller's TERM.
  const term = start.pty.term || env.TERM || 'dumb'
  const child: IPty = nodePty.spawn(file, args, {
    name: term,
    cols: Math.max(1, start.pty.cols || 80),
    rows: Math.max(1, start.pty.rows || 24),
    cwd: start.cwd,
    env,
    encoding: null,
  })
  // The slave belongs to the user, as sshd's pty_setowner leaves it (node-pty 1.1 keeps its
  // path in the undocumented `_pty`); the user's own fds work without it, opening it by path not.
  const slave = (child as IPty & { _pty?: unknown })._pty
  const isSlave = typeof slave === 'string' && slave.startsWith('/dev/pts/')
  if (plan.credentials && isSlave) {
    try {
      chownSync(slave, plan.credentials.uid, plan.credentials.gid)
    } catch {
      // the session still works through its inherited fds
    }
  }
  const slaveFd = isSlave ? holdSlave(slave) : undefined
  let draining: (() => void) | undefined
  const onData = (data: string | Buffer): void => {
    if (channel.destroyed) return
    if (!channel.write(data) && !draining) {
      child.pause()
      channel.once('drain', () => child.resume())
    }
    draining?.()
  }
  const dataListener = child.onData(onData)
  let hangingUp = false
  drainAfterExit(child, slaveFd, () => hangingUp, (onMore) => (draining = onMore))
  const fromClient = (data: Buffer): void => child.write(data)
  const onResize = (cols: number, rows: number): void => {
    if (cols > 0 && rows > 0) child.resize(cols, rows)
  }
  channel.on('data', fromClient)
  channel.on('window-change', onResize)
  const exited = new Promise<ProcessEnd>((resolve) => {
    child.onExit(({ exitCode, signal }) => {
      dataListener.dispose()
      channel.off('data', fromClient)
      channel.off('window-change', onResize)
      resolve(signal ? { code: null, signal: signalName(signal) } : { code: exitCode, signal: null })
    })
  })
  return {
    pid: child.pid,
    exited,
    hangUpSignal: 'SIGHUP',
    // UnixTerminal.destroy() closes the master (the kernel then hangs up the slave's session);
    // node-pty 1.1's IPty typing does not list it.
    close: () => {
      hangingUp = true
      ;(child as IPty & { destroy?: () => void }).destroy?.()
    },
  }
}

/** How long the pty may stay quiet after the exit before our hold on the slave is let go. */
const EXIT_SETTLE_MS = 50
/** How long the pty may then stay quiet before what is left is dropped (a background job holding it open). */
const EXIT_DRAIN_QUIET_MS = 500

/**
 * Opens the slave side for ourselves, so that its last close is ours, made once the output is read.
 * Linux sets the master's "other side closed" when the session's last slave fd goes, and a read
 * then fails with EIO even while output still waits in the tty's flip buffers (seen: the last
 * 6–12 KB of a 3 MB shell output lost to plink, roughly one run in two, when the client was slow).
 */
function holdSlave(path: string): number | undefined {
  try {
    return openSync(path, fsConstants.O_RDWR | fsConstants.O_NOCTTY)
  } catch {
    return undefined
  }
}

/**
 * Keeps the tail of the output. Once the process exits, node-pty 1.1 waits only 200 ms for the
 * master to reach EOF and then destroys it (unixTerminal.js DESTROY_SOCKET_TIMEOUT_MS), dropping
 * whatever is still unread — all of it while we are paused for a slow client. sshd reads the
 * pty until EOF before it sends exit-status. So that destroy is turned into: read on, without
 * back-pressure (what is left after the exit is bounded by the kernel's pty buffers); once quiet
 * for {@link EXIT_SETTLE_MS}, let go of our slave fd so the master reaches EOF; if it stays quiet
 * for {@link EXIT_DRAIN_QUIET_MS} more (a background job holds the slave), drop the rest. A
 * hang-up (`close()`) destroys at once.
 */
function drainAfterExit(child: IPty, slaveFd: number | undefined, hangingUp: () => boolean, setDraining: (onMore: () => void) => void): void {
  let held = slaveFd
  const release = (): void => {
    if (held === undefined) return
    const fd = held
    held = undefined
    try {
      closeSync(fd)
    } catch {
      // already closed
    }
  }
  child.onExit(() => release())
  const socket = (child as IPty & { _socket?: { destroy(err?: Error): unknown; resume(): unknown; destroyed?: boolean; once(event: 'close', fn: () => void): unknown } })._socket
  if (!socket || typeof socket.destroy !== 'function') return release()
  socket.once('close', release)
  const destroy = socket.destroy.bind(socket)
  let quiet: NodeJS.Timeout | undefined
  let started = false
  socket.destroy = (err?: Error) => {
    if (hangingUp() || socket.destroyed) {
      clearTimeout(quiet)
      release()
      return destroy(err)
    }
    if (started) return socket
    started = true
    const arm = (): void => {
      clearTimeout(quiet)
      quiet = setTimeout(() => {
        if (held === undefined) return void destroy(err)
        release()
        quiet = setTimeout(() => destroy(err), EXIT_DRAIN_QUIET_MS)
      }, held === undefined ? EXIT_DRAIN_QUIET_MS : EXIT_SETTLE_MS)
    }
    setDraining(arm)
    arm()
    socket.resume()
    return socket
  }
}
