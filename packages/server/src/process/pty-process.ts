import nodePty from 'node-pty'
import type { IPty } from 'node-pty'
import type { SessionChannelLike, SessionPty } from './session-channel.js'
import type { ProcessEnd, SessionProcess } from './session-process.js'
import { sttyArguments } from './pty-modes.js'
import { signalName } from './signals.js'
import type { SpawnPlan } from './spawn-plan.js'
import { argsWithoutArgv0, asUser } from './spawn-plan.js'
import { chownSync } from 'node:fs'

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
  if (plan.credentials && typeof slave === 'string' && slave.startsWith('/dev/pts/')) {
    try {
      chownSync(slave, plan.credentials.uid, plan.credentials.gid)
    } catch {
      // the session still works through its inherited fds
    }
  }
  const onData = (data: string | Buffer): void => {
    if (channel.destroyed) return
    if (!channel.write(data)) {
      child.pause()
      channel.once('drain', () => child.resume())
    }
  }
  const dataListener = child.onData(onData)
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
    close: () => (child as IPty & { destroy?: () => void }).destroy?.(),
  }
}
