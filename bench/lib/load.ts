import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const SCRIPT = fileURLToPath(new URL('../load/load-process.ts', import.meta.url))
const REPLY_TIMEOUT_MS = 300_000

/** The load process (bench/load/load-process.ts) as the bench drives it. */
export interface LoadProcess {
  readonly sinkPort: number
  readonly sourcePort: number
  readonly echoPort: number
  /** Sends `bytes` to the sink through local `port`; resolves the elapsed ms. */
  up(port: number, bytes: number): Promise<number>
  /** Pulls `bytes` from the source through local `port`; resolves the elapsed ms. */
  down(port: number, bytes: number): Promise<number>
  /** Runs `count` concurrent echoes of `bytes` through local `port`; resolves ms and how many came back byte-exact. */
  echoMany(port: number, count: number, bytes: number): Promise<{ ms: number; exact: number }>
  /** Resolves the byte count the sink sees at its next EOF. */
  nextSunk(): Promise<number>
  /** The child's pid (for CPU and RSS probes). */
  readonly pid: number
  close(): Promise<void>
}

/** Starts the load process with tsx; resolves once its servers listen. */
export async function startLoadProcess(): Promise<LoadProcess> {
  const child: ChildProcess = fork(SCRIPT, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const pending = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }>()
  const sunkWaiters: Array<(bytes: number) => void> = []
  let nextId = 1
  const ready = new Promise<Record<string, number>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('load process did not start in 30 s')), 30_000)
    child.once('exit', (code) => reject(new Error(`load process exited (${code})`)))
    child.on('message', (msg: Record<string, unknown>) => {
      if (msg.op === 'ready') { clearTimeout(timer); resolve(msg as Record<string, number>) }
      else if (msg.op === 'sunk') sunkWaiters.shift()?.(msg.bytes as number)
      else if (typeof msg.id === 'number') {
        const p = pending.get(msg.id)
        pending.delete(msg.id)
        if (typeof msg.error === 'string') p?.reject(new Error(`load process: ${msg.error}`))
        else p?.resolve(msg)
      }
    })
  })
  child.on('exit', () => { for (const p of pending.values()) p.reject(new Error('load process exited')) })
  const ports = await ready
  const call = (cmd: object): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const id = nextId++
      const timer = setTimeout(() => { pending.delete(id); reject(new Error('load process timed out')) }, REPLY_TIMEOUT_MS)
      pending.set(id, {
        resolve: (v) => { clearTimeout(timer); resolve(v) },
        reject: (e) => { clearTimeout(timer); reject(e) },
      })
      child.send({ id, ...cmd })
    })
  return {
    sinkPort: ports.sinkPort!,
    sourcePort: ports.sourcePort!,
    echoPort: ports.echoPort!,
    pid: child.pid!,
    up: async (port, bytes) => (await call({ op: 'up', port, bytes })).ms as number,
    down: async (port, bytes) => (await call({ op: 'down', port, bytes })).ms as number,
    echoMany: async (port, count, bytes) => {
      const r = await call({ op: 'echo-many', port, count, bytes })
      return { ms: r.ms as number, exact: r.exact as number }
    },
    nextSunk: () => new Promise<number>((resolve) => sunkWaiters.push(resolve)),
    close: async () => {
      if (child.exitCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.disconnect()
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))])
      if (child.exitCode === null) child.kill('SIGKILL')
    },
  }
}
