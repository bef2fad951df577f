import { spawn, type ChildProcess } from 'node:child_process'
import { connect } from 'node:net'

/** OpenSSH's client. */
export const SSH = '/usr/bin/ssh'
/** OpenSSH's SFTP client. */
export const SFTP = '/usr/bin/sftp'

const RUN_TIMEOUT_MS = 300_000

/**
 * Runs `file args…` to completion with stdout and stderr to /dev/null (stdin from `input`, or
 * /dev/null); resolves the elapsed ms; rejects on a non-zero exit or after 5 minutes.
 */
export function timeProcess(file: string, args: readonly string[], input?: string): Promise<number> {
  const t0 = performance.now()
  const child = spawn(file, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'] })
  if (input !== undefined) child.stdin?.end(input)
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => { if (stderr.length < 4096) stderr += d.toString() })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS)
    child.once('error', (err) => { clearTimeout(timer); reject(err) })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      const ms = performance.now() - t0
      if (code === 0) resolve(ms)
      else reject(new Error(`${file} ${args.join(' ')} exited ${code ?? signal}: ${stderr.trim()}`))
    })
  })
}

/** A long-running `ssh` (a forward, a master, an idle session). */
export interface SshProcess {
  readonly child: ChildProcess
  close(): Promise<void>
}

/** Starts `ssh args…` in the background; `close()` SIGTERMs it and waits (SIGKILL after 3 s). */
export function startSsh(args: readonly string[]): SshProcess {
  const child = spawn(SSH, args, { stdio: ['ignore', 'ignore', 'inherit'] })
  child.on('error', () => {})
  return {
    child,
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))])
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    },
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ port, host: '127.0.0.1' }, () => { sock.destroy(); resolve(true) })
    sock.once('error', () => resolve(false))
  })
}

/** Waits (≤ 10 s) until 127.0.0.1:`port` accepts TCP, e.g. an `ssh -L` listener. */
export async function waitForListener(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`ssh exited (${child.exitCode}) before listening on ${port}`)
    if (await accepts(port)) return
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after 10 s`)
}
