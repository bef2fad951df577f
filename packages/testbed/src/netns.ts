import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import type { Server } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { LOOPBACK, freePort } from './ports.js'
import { isProcessAlive, signalQuietly } from './proc.js'
import { runCommand } from './run-command.js'

/** Names iproute2's `ip` (absolute path; /sbin, as Debian's package installs it, merged /usr or not). */
export const IP = '/sbin/ip'
/** Names util-linux's nsenter (absolute path): it enters a namespace and execs the command. */
export const NSENTER = '/usr/bin/nsenter'
/** Names socat (absolute path). */
export const SOCAT = '/usr/bin/socat'
/** Names iproute2's `tc` (absolute path). */
export const TC = '/sbin/tc'

/** Where `ip netns add <name>` pins a namespace. */
export function netnsPath(name: string): string {
  return `/run/netns/${name}`
}

/** Says who a command wrapped by {@link inNetns} runs as (root by default). */
export interface NetnsCredentials {
  uid: number
  gid: number
}

/**
 * Wraps `file args` so it runs in the network namespace `netns`:
 * `nsenter --net=/run/netns/<netns> [--setgid G --setuid U] -- file args`.
 *
 * nsenter enters the namespace and then execs the command (no fork: the PID a caller spawns
 * is the command's own PID). With `as`, it drops to that uid/gid (and no supplementary groups)
 * after entering, which only root may do: spawn the wrapped command as root.
 */
export function inNetns(
  netns: string,
  file: string,
  args: readonly string[],
  as?: NetnsCredentials,
): { file: string; args: string[] } {
  const credentials = as ? ['--setgid', String(as.gid), '--setuid', String(as.uid)] : []
  return { file: NSENTER, args: [`--net=${netnsPath(netns)}`, ...credentials, '--', file, ...args] }
}

/** Tells whether `name` is a valid, not too long, namespace name of ours. */
function checkName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) throw new Error(`bad network namespace name: ${name}`)
}

/**
 * Creates the network namespace `name` (`ip netns add`) and brings its loopback up, so
 * 127.0.0.1 and ::1 work inside it. Needs root.
 *
 * @throws Error when the namespace exists already or `ip` fails (the message has its stderr).
 */
export async function createNetns(name: string): Promise<void> {
  checkName(name)
  if (process.getuid?.() !== 0) throw new Error('network namespaces need root')
  await runCommand(IP, ['netns', 'add', name], { timeoutMs: 10_000 })
  try {
    await runCommand(IP, ['-n', name, 'link', 'set', 'lo', 'up'], { timeoutMs: 10_000 })
  } catch (err) {
    await runCommand(IP, ['netns', 'delete', name], { allowFailure: true, timeoutMs: 10_000 })
    throw err
  }
}

/** Lists the PIDs of the processes whose network namespace is `name` (`ip netns pids`). */
export async function netnsPids(name: string): Promise<number[]> {
  if (!existsSync(netnsPath(name))) return []
  const out = await runCommand(IP, ['netns', 'pids', name], { allowFailure: true, timeoutMs: 10_000 })
  return out.stdout.split(/\s+/).filter((p) => /^\d+$/.test(p)).map(Number).filter((p) => p !== process.pid)
}

/**
 * Deletes the namespace `name`: SIGKILLs every process still in it (the caller started them
 * all: it owns the namespace), waits (bounded) until they are gone, then `ip netns delete`.
 * Quiet when the namespace is already gone.
 *
 * @throws Error when a process in it survives SIGKILL for 5 s or `ip netns delete` fails.
 */
export async function deleteNetns(name: string): Promise<void> {
  checkName(name)
  if (!existsSync(netnsPath(name))) return
  const deadline = Date.now() + 5000
  for (;;) {
    const pids = (await netnsPids(name)).filter(isProcessAlive)
    if (pids.length === 0) break
    if (Date.now() >= deadline) throw new Error(`processes ${pids.join(', ')} still run in network namespace ${name}`)
    for (const pid of pids) {
      signalQuietly(pid, 'SIGKILL')
      signalQuietly(pid, 'SIGCONT')
    }
    await sleep(20)
  }
  const out = await runCommand(IP, ['netns', 'delete', name], { allowFailure: true, timeoutMs: 10_000 })
  if (out.code !== 0 && existsSync(netnsPath(name))) {
    throw new Error(`ip netns delete ${name} exited with ${out.code}: ${out.stderr.trim()}`)
  }
}

/** Lists the names of the network namespaces `ip netns list` shows. */
export async function listNetns(): Promise<string[]> {
  const out = await runCommand(IP, ['netns', 'list'], { allowFailure: true, timeoutMs: 10_000 })
  return out.stdout.split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter((n) => n !== '')
}

/**
 * Reads up to `bytes` bytes that a TCP server at 127.0.0.1:`port` inside `netns` sends first,
 * within `timeoutMs` (`nsenter … socat -u TCP:… STDOUT`, killed once enough arrived).
 * Resolves with what arrived ('' when the connection is refused or nothing came).
 */
export function readFirstBytesInNetns(netns: string, port: number, bytes: number, timeoutMs = 2000): Promise<string> {
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000))
  const { file, args } = inNetns(netns, SOCAT, [
    '-u', `TCP:${LOOPBACK}:${port},connect-timeout=${seconds}`, 'STDOUT',
  ])
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'ignore'] })
    let received = ''
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.stdout.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1')
      if (received.length >= bytes) child.kill('SIGKILL')
    })
    child.on('error', () => {}) // 'close' follows
    child.on('close', () => {
      clearTimeout(timer)
      resolve(received.slice(0, bytes))
    })
  })
}

/**
 * Tells whether 127.0.0.1:`port` inside `netns` sends an SSH identification line ('SSH-').
 * Like {@link answersSsh} for the host, the server's per-connection process exists by the
 * time this resolves true.
 */
export async function answersSshInNetns(netns: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return (await readFirstBytesInNetns(netns, port, 4, timeoutMs)) === 'SSH-'
}

// Run by `node -e` inside the namespace: listens on 127.0.0.1:<argv[1]>, hands the listening
// socket to the parent over the IPC channel, closes its own copy and exits.
const LISTEN_HELPER = `
const net = require('node:net')
const server = net.createServer()
server.on('error', (err) => process.send({ error: String(err.code || err.message) }, () => process.exit(1)))
server.listen({ host: ${JSON.stringify(LOOPBACK)}, port: Number(process.argv[1]) }, () => {
  process.send({ port: server.address().port }, server, () => { server.close(); process.disconnect() })
})
`

/**
 * Returns a `net.Server` of this process that listens on 127.0.0.1:`port` (0: any) INSIDE the
 * network namespace `netns`: a short-lived Node helper entered into the namespace binds the
 * socket and passes it over its IPC channel (a socket belongs to the namespace it was made
 * in, whoever holds it), then exits. Attach a 'connection' listener (e.g.
 * `server.on('connection', (s) => httpsServer.emit('connection', s))`) and `close()` it.
 *
 * @throws Error when the helper cannot bind (the message names the errno code, e.g. EADDRINUSE)
 *   or does not answer within `timeoutMs`.
 */
export function listenInNetns(netns: string, port = 0, timeoutMs = 10_000): Promise<Server> {
  const { file, args } = inNetns(netns, process.execPath, ['-e', LISTEN_HELPER, String(port)])
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    })
    let stderr = ''
    let server: Server | undefined
    let failure: string | undefined
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    child.on('message', (message: { port?: number; error?: string }, handle: unknown) => {
      if (handle instanceof Object && 'listen' in handle) server = handle as Server
      else failure = message.error ?? 'no listening socket received'
    })
    child.on('error', (err) => {
      failure = err.message
    })
    const timer = setTimeout(() => {
      failure = `no answer within ${timeoutMs} ms`
      child.kill('SIGKILL')
    }, timeoutMs)
    child.on('close', (code) => {
      clearTimeout(timer)
      if (server && failure === undefined) return resolve(server)
      server?.close()
      const why = failure ?? `helper exited with ${code}`
      reject(new Error(`cannot listen on ${LOOPBACK}:${port} in network namespace ${netns}: ${why} ${stderr.trim()}`.trim()))
    })
  })
}

/**
 * Tells whether a TCP connect from THIS (the host's) namespace to 127.0.0.1:`port` is refused
 * (ECONNREFUSED: nothing listens there). False when it connects, times out or fails otherwise.
 */
export function hostConnectRefused(port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: LOOPBACK, port })
    const finish = (refused: boolean): void => {
      clearTimeout(timer)
      socket.destroy()
      resolve(refused)
    }
    const timer = setTimeout(() => finish(false), timeoutMs)
    socket.on('connect', () => finish(false))
    socket.on('error', (err: NodeJS.ErrnoException) => finish(err.code === 'ECONNREFUSED'))
  })
}

/** Tells whether 127.0.0.1:`port` can be bound in this (the host's) namespace right now. */
function hostPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.on('error', () => resolve(false))
    server.listen({ host: LOOPBACK, port, exclusive: true }, () => server.close(() => resolve(true)))
  })
}

/** Reads the host's ephemeral port range (`net.ipv4.ip_local_port_range`). */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number)
    if (low !== undefined && high !== undefined && low > 0 && high >= low) return [low, high]
  } catch {
    // fall through to Linux's default
  }
  return [32768, 60999]
}

/**
 * Picks `count` distinct ports for servers inside a namespace that are free on the HOST's
 * loopback too, and outside the host's ephemeral range: a port the kernel never hands out for
 * port 0 binds (every test server on the host uses port 0), so nothing on the host is likely
 * to listen on it later, and a connect from the host to it is refused. Ports are random in
 * the 12 000 below the ephemeral range (default 20768–32767).
 */
export async function unusedHostPorts(count: number): Promise<number[]> {
  const [low, high] = ephemeralRange()
  const [from, to] = low - 1024 >= 2000 ? [Math.max(1024, low - 12_000), low - 1] : [high + 1, 65_535]
  const chosen = new Set<number>()
  for (let tries = 0; chosen.size < count; tries++) {
    if (tries > count * 50) throw new Error(`no ${count} free ports in ${from}–${to} on the host`)
    const port = from + Math.floor(Math.random() * (to - from + 1))
    if (!chosen.has(port) && (await hostPortFree(port))) chosen.add(port)
  }
  return [...chosen]
}

/**
 * Says how a server starter picks its port: `port` when given (one attempt); inside a
 * namespace, a port from {@link unusedHostPorts} (so the host's loopback has nothing there);
 * otherwise an ephemeral {@link freePort}. Either of the last two is retried on
 * EADDRINUSE by {@link withFreePort}.
 */
export function portChoice(netns?: string, port?: number): { attempts: number; pick: () => Promise<number> } {
  if (port !== undefined) return { attempts: 1, pick: async () => port }
  if (netns !== undefined) return { attempts: 5, pick: async () => (await unusedHostPorts(1))[0] ?? 0 }
  return { attempts: 5, pick: freePort }
}
