import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { clientEnv, killGroup } from './client-process.js'

/** Controls a real client left running (a forwarder), in its own process group. */
export interface ClientDaemon {
  readonly pid: number
  /** Tells whether it has exited. */
  hasExited(): boolean
  /** What it printed on stderr so far. */
  stderr(): string
  /** SIGTERMs its group, SIGKILLs it after 3 s, and waits until it is reaped; idempotent. */
  close(): Promise<void>
}

/** Starts `file` with `args` detached (its own session, no tty), stdin and stdout ignored. */
export function spawnClientDaemon(file: string, args: readonly string[], env: NodeJS.ProcessEnv = clientEnv()): ClientDaemon {
  const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'], env, detached: true })
  const chunks: Buffer[] = []
  let exited = false
  child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk))
  child.on('error', (err) => chunks.push(Buffer.from(`\nspawn failed: ${err.message}`)))
  const closed = once(child, 'close').then(
    () => {
      exited = true
    },
    () => {
      exited = true
    },
  )
  let closing: Promise<void> | undefined
  const stop = async (): Promise<void> => {
    if (!exited) {
      killGroup(child.pid, 'SIGTERM')
      const bound = new AbortController()
      const done = await Promise.race([closed.then(() => true), sleep(3000, false, { signal: bound.signal }).catch(() => false)])
      bound.abort()
      if (!done) killGroup(child.pid, 'SIGKILL')
    }
    await closed
    killGroup(child.pid, 'SIGKILL') // anything it forked
  }
  return {
    pid: child.pid ?? -1,
    hasExited: () => exited,
    stderr: () => Buffer.concat(chunks).toString('utf8'),
    close: () => (closing ??= stop()),
  }
}
