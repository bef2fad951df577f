import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { inNetns } from './netns.js'
import { descendantPids, isProcessAlive, readProcessStat, signalQuietly } from './proc.js'

/** Controls a server daemon run in the foreground, its output appended to a log file. */
export interface ServerProcess {
  readonly pid: number
  readonly child: ChildProcess
  /** Resolves when the process has exited and been reaped. */
  readonly exited: Promise<void>
  /** Tells whether the process has exited. */
  hasExited(): boolean
  /** Reads the log file so far. */
  log(): Promise<string>
  /** Lists the live descendants of the process (its per-connection children and theirs). */
  descendants(): number[]
  /** Stops the process and every descendant; idempotent and bounded. */
  close(): Promise<void>
}

/** Configures {@link spawnServerProcess}: whom the daemon runs as, and where. */
export interface SpawnServerOptions {
  /** Run as this user id (root only; supplementary groups are dropped). */
  uid?: number
  /** Run with this group id (root only). */
  gid?: number
  /** Working directory (default: this process's). */
  cwd?: string
  /**
   * Run inside this network namespace (a name under /run/netns): the command is spawned as
   * root through `nsenter --net=…`, which drops to `uid`/`gid` after entering and execs it, so
   * `pid` is still the daemon's own.
   */
  netns?: string
}

/**
 * Spawns `file` with `args`, stdout and stderr appended to `logPath`.
 *
 * The caller waits for readiness; {@link ServerProcess.close} always reaps it.
 */
export function spawnServerProcess(
  file: string,
  args: readonly string[],
  logPath: string,
  options: SpawnServerOptions = {},
): ServerProcess {
  const logFd = openSync(logPath, 'a', 0o600)
  let child: ChildProcess
  try {
    const { uid, gid, cwd, netns } = options
    if (netns === undefined) {
      child = spawn(file, args, { stdio: ['ignore', logFd, logFd], env: serverEnv(), uid, gid, cwd })
    } else {
      const as = uid === undefined && gid === undefined ? undefined : { uid: uid ?? 0, gid: gid ?? 0 }
      const wrapped = inNetns(netns, file, args, as)
      child = spawn(wrapped.file, wrapped.args, { stdio: ['ignore', logFd, logFd], env: serverEnv(), cwd })
    }
  } finally {
    closeSync(logFd) // the child holds its own copy
  }
  let exited = false
  let spawnError: Error | undefined
  child.on('error', (err) => {
    spawnError = err
  })
  const exitedPromise = once(child, 'close').then(
    () => {
      exited = true
    },
    () => {
      exited = true
    },
  )
  const pid = child.pid ?? -1
  let closing: Promise<void> | undefined
  return {
    pid,
    child,
    exited: exitedPromise,
    hasExited: () => exited || spawnError !== undefined,
    log: async () => {
      const text = await readFile(logPath, 'utf8').catch(() => '')
      return spawnError ? `${text}\nspawn failed: ${spawnError.message}` : text
    },
    descendants: () => (pid > 0 ? descendantPids(pid).filter(isProcessAlive) : []),
    close: () => (closing ??= stopTree(pid, exitedPromise, () => exited)),
  }
}

function serverEnv(): NodeJS.ProcessEnv {
  // A small, predictable environment: no secrets or test-runner variables leak into sessions.
  return { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' }
}

/**
 * Stops `pid` and its tree: freezes every descendant (SIGSTOP, repeated until no new one
 * appears, so none forks away), SIGKILLs them, then SIGTERMs the daemon (SIGKILL after 3 s)
 * and waits until it is reaped. SIGCONT follows every signal so a process a test stopped
 * still dies.
 */
async function stopTree(pid: number, exited: Promise<void>, hasExited: () => boolean): Promise<void> {
  if (pid <= 0) return
  const tree = new Set<number>()
  if (!hasExited()) {
    signalQuietly(pid, 'SIGSTOP')
    for (let round = 0; round < 20; round++) {
      const fresh = descendantPids(pid).filter((p) => !tree.has(p))
      if (fresh.length === 0) break
      for (const p of fresh) {
        tree.add(p)
        signalQuietly(p, 'SIGSTOP')
      }
    }
  }
  for (const p of tree) {
    signalQuietly(p, 'SIGKILL')
    signalQuietly(p, 'SIGCONT')
  }
  if (!hasExited()) {
    signalQuietly(pid, 'SIGTERM')
    signalQuietly(pid, 'SIGCONT')
    const done = await Promise.race([exited.then(() => true), sleep(3000, false)])
    if (!done) {
      signalQuietly(pid, 'SIGKILL')
      signalQuietly(pid, 'SIGCONT')
      await Promise.race([exited, sleep(5000)])
    }
  }
  // Descendants now belong to init, which reaps them; wait (bounded) until none still runs.
  const deadline = Date.now() + 3000
  while ([...tree].some((p) => isProcessAlive(p)) && Date.now() < deadline) await sleep(10)
  if (!hasExited()) throw new Error(`process ${pid} did not exit after SIGKILL`)
}

/** Tells whether `pid` is stopped (SIGSTOP, state T). */
export function isStopped(pid: number): boolean {
  return readProcessStat(pid)?.state === 'T'
}

/**
 * Waits until `ready()` returns true while `proc` runs, polling every 25 ms.
 *
 * @throws Error carrying the process log when it exits first or `timeoutMs` passes.
 */
export async function waitUntilReady(
  proc: ServerProcess,
  name: string,
  ready: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (proc.hasExited()) {
      throw new ServerStartError(`${name} exited before it was ready`, await proc.log())
    }
    if (await ready()) return
    if (Date.now() >= deadline) {
      throw new ServerStartError(`${name} not ready after ${timeoutMs} ms`, await proc.log())
    }
    await sleep(25)
  }
}

/** Signals that a test server failed to start; `log` holds what it printed. */
export class ServerStartError extends Error {
  override readonly name = 'ServerStartError'
  /** The server's log up to the failure. */
  readonly log: string

  /** Creates the error; the message ends with the log. */
  constructor(message: string, log: string) {
    super(`${message}; its log:\n${log.trim() || '(empty)'}`)
    this.log = log
  }
}
