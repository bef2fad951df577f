import { spawn } from 'node:child_process'
import type { SessionChannelLike } from './session-channel.js'
import type { ProcessEnd, SessionProcess } from './session-process.js'
import { signalName } from './signals.js'
import type { SpawnPlan } from './spawn-plan.js'
import { argsWithoutArgv0, asUser } from './spawn-plan.js'

/** Describes what {@link startPipedProcess} needs. */
export interface PipedStart {
  readonly plan: SpawnPlan
  readonly userName: string
  readonly env: Readonly<Record<string, string>>
  readonly cwd: string
}

/**
 * Starts a session's process on three pipes, in a new session and process group (setsid, as sshd's
 * child), and relays them with back-pressure (stream pipes): the channel to stdin, whose end is
 * the client's EOF; stdout to the channel and stderr to its extended data, neither ending the
 * channel, so the exit status can still be sent. `exited` settles once the process has exited and
 * both pipes have closed. A process that cannot be started ends with code 1 and the reason on
 * stderr, as sshd's child does when execve fails.
 */
export function startPipedProcess(channel: SessionChannelLike, start: PipedStart): SessionProcess {
  const { plan } = start
  // Without a change of user, spawn sets argv[0] exactly as sshd does; with one, setpriv execs
  // the shell by its path.
  const target = plan.credentials
    ? asUser(plan, start.userName, plan.file, argsWithoutArgv0(plan))
    : { file: plan.file, args: [...plan.args], argv0: plan.argv0 }
  const child = spawn(target.file, target.args, {
    argv0: 'argv0' in target ? target.argv0 : target.file,
    cwd: start.cwd,
    env: start.env,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  // EPIPE when the process exits before reading all of stdin: the data had nowhere to go.
  child.stdin.on('error', () => {})
  channel.pipe(child.stdin)
  child.stdout.pipe(channel, { end: false })
  child.stderr.pipe(channel.stderr, { end: false })
  const exited = new Promise<ProcessEnd>((resolve) => {
    child.once('error', (err) => {
      // spawn failed (ENOENT, EACCES): no process, no 'exit'; 'close' follows the pipes.
      if (!channel.destroyed) channel.stderr.write(`${target.file}: ${err.message}\n`)
      resolve({ code: 1, signal: null })
    })
    child.once('close', (code, signal) => {
      channel.unpipe(child.stdin)
      resolve(signal ? { code: null, signal: signalName(signal) } : { code: code ?? 1, signal: null })
    })
  })
  return {
    pid: child.pid ?? -1,
    exited,
    close: () => {
      channel.unpipe(child.stdin)
      child.stdout.unpipe(channel)
      child.stderr.unpipe(channel.stderr)
      child.stdin.destroy()
      child.stdout.destroy()
      child.stderr.destroy()
    },
  }
}
