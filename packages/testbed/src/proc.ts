import { readdirSync, readFileSync, readlinkSync } from 'node:fs'

/** Describes one process as /proc/<pid>/stat shows it. */
export interface ProcessStat {
  pid: number
  ppid: number
  /** State letter: R, S, D, T (stopped), Z (zombie), … */
  state: string
}

/** Reads /proc/<pid>/stat; returns null when the process is gone. */
export function readProcessStat(pid: number): ProcessStat | null {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return null
  }
  // The command name (field 2) is in parentheses and may hold spaces or ')': split after the
  // last ')'. Fields after it: state, ppid, …
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ')
  const state = rest[0]
  const ppid = Number(rest[1])
  if (state === undefined || !Number.isInteger(ppid)) return null
  return { pid, ppid, state }
}

/** Lists every process visible in /proc (a snapshot; processes come and go meanwhile). */
export function listProcesses(): ProcessStat[] {
  const out: ProcessStat[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const stat = readProcessStat(Number(name))
    if (stat) out.push(stat)
  }
  return out
}

/**
 * Lists the PIDs whose parent is `parent` (default: this process), zombies included.
 *
 * Used by the per-file hygiene check: a child left running, or exited but never reaped,
 * shows up here.
 */
export function childPids(parent: number = process.pid): number[] {
  return listProcesses()
    .filter((p) => p.ppid === parent)
    .map((p) => p.pid)
}

/** Lists every descendant of `root` (children, grandchildren, …), parents before children. */
export function descendantPids(root: number): number[] {
  const byParent = new Map<number, number[]>()
  for (const p of listProcesses()) {
    const siblings = byParent.get(p.ppid) ?? []
    siblings.push(p.pid)
    byParent.set(p.ppid, siblings)
  }
  const out: number[] = []
  const queue = [root]
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const child of byParent.get(pid) ?? []) {
      if (out.includes(child) || child === root) continue
      out.push(child)
      queue.push(child)
    }
  }
  return out
}

/** Reads a process's command line, arguments joined by spaces ('' when gone or a zombie). */
export function processCommandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()
  } catch {
    return ''
  }
}

/** Tells whether `pid` exists and is not a zombie. */
export function isProcessAlive(pid: number): boolean {
  const stat = readProcessStat(pid)
  return stat !== null && stat.state !== 'Z'
}

/** Counts this process's open file descriptors (entries of /proc/self/fd). */
export function openFdCount(): number {
  // readdir itself holds one fd on /proc/self/fd while listing: the count is consistent.
  return readdirSync('/proc/self/fd').length
}

/**
 * Kills (SIGKILL) the server-side processes of every connection `server` has open right now; a
 * process that exits between the listing and the kill (sshd's pre-auth child) is no error.
 * Resolves with how many were listed.
 */
export async function killConnections(server: { connectionPids(): Promise<number[]> }): Promise<number> {
  const pids = await server.connectionPids()
  for (const pid of pids) signalQuietly(pid, 'SIGKILL')
  return pids.length
}

/** Sends `signal` to `pid`, ignoring a process that is already gone. */
export function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch {
    // ESRCH: it exited meanwhile
  }
}

/**
 * Sends `signal` to each of `pids` and returns how many got it: a process listed a moment ago
 * may have exited meanwhile (sshd's pre-auth child, a shell before it execs); other errors throw.
 */
export function signalEach(pids: readonly number[], signal: NodeJS.Signals): number {
  let sent = 0
  for (const pid of pids) {
    try {
      process.kill(pid, signal)
      sent++
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err
    }
  }
  return sent
}

/** How many of this process's TCP sockets are connected to 127.0.0.1:`port` (/proc/net/tcp). */
export function socketsTo(port: number): number {
  const inodes = new Set<string>()
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))
      if (match) inodes.add(match[1]!)
    } catch {
      // closed meanwhile
    }
  }
  const remote = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`
  return readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f[2] === remote && f[9] !== undefined && inodes.has(f[9])).length
}
