import { existsSync, readdirSync } from 'node:fs'
import { chmod, chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { inNetns, portChoice } from './netns.js'
import { LOOPBACK, PortInUseError, withFreePort } from './ports.js'
import { signalQuietly } from './proc.js'
import { runCommand } from './run-command.js'
import { ServerStartError, spawnServerProcess, waitUntilReady } from './server-process.js'
import type { ServerProcess } from './server-process.js'
import { makeTempDir, removeTempDir } from './temp-dir.js'

/** Names the OS account the servers run as (PostgreSQL refuses root); Debian's package creates it. */
export const POSTGRES_OS_USER = 'postgres'
/** Names the role (a superuser, password-only) that {@link startPostgres} creates. */
export const POSTGRES_ROLE = 'xssh'

/** Configures {@link startPostgres}. */
export interface PostgresOptions {
  /** More server settings, passed as `-c name=value`; they override the defaults. */
  settings?: Readonly<Record<string, string | number | boolean>>
  /** Give up waiting for the server after this many milliseconds (default 15 000). */
  readyTimeoutMs?: number
  /** SIGKILL the server when a fast shutdown takes longer than this (default 5000 ms). */
  stopTimeoutMs?: number
  /**
   * Run the server inside this network namespace (a name under /run/netns), listening on ITS
   * 127.0.0.1; `pg_isready` runs inside it too. Its Unix socket stays in the temp dir (a
   * file, reachable from any namespace) unless `settings` sets `unix_socket_directories: ''`.
   */
  netns?: string
  /**
   * Listen on this port (one attempt; PortInUseError when taken). Default: a free ephemeral
   * port, or, with `netns`, a port outside the host's ephemeral range that the host's
   * loopback leaves free.
   */
  port?: number
}

/** Describes a running PostgreSQL test server and how to log in to it. */
export interface PostgresHandle {
  /** Always '127.0.0.1'. */
  readonly host: string
  readonly port: number
  /** A superuser role that logs in with `password` (scram-sha-256). */
  readonly user: string
  /** Random, per server. */
  readonly password: string
  /** 'postgres', the database initdb creates. */
  readonly database: string
  /** PID of the postmaster. */
  readonly pid: number
  /** The server's private temp dir (data dir, socket dir, log); removed by `close()`. */
  readonly dir: string
  /** The directory of `psql`, `pg_isready`, … of the same version. */
  readonly binDir: string
  /** Path of the server's log file. */
  readonly logPath: string
  /** The network namespace it runs in (`options.netns`); undefined: the host's. */
  readonly netns: string | undefined
  /** Reads the server's log so far. */
  log(): Promise<string>
  /** Stops the server (fast shutdown, then SIGKILL) and removes its temp dir; idempotent. */
  close(): Promise<void>
  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>
}

/**
 * Returns the bin directory of the newest PostgreSQL server installed
 * (`/usr/lib/postgresql/<version>/bin`; Debian 12: 15).
 *
 * @throws Error when no server is installed (scripts/prepare-test-host.mjs installs one).
 */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)) : []
  versions.sort((a, b) => Number(b) - Number(a))
  const version = versions.find((v) => existsSync(`${root}/${v}/bin/postgres`))
  if (version === undefined) {
    throw new Error(`no ${root}/<version>/bin/postgres: run node scripts/prepare-test-host.mjs`)
  }
  return `${root}/${version}/bin`
}

/**
 * Starts a PostgreSQL server of its own on 127.0.0.1 and a free port, from a fresh data dir.
 *
 * Runs `initdb` (scram-sha-256 for every connection, role {@link POSTGRES_ROLE} with a random
 * password) and `postgres -D …` as the OS account `postgres`, with its Unix socket in the temp
 * dir, fsync off, and dynamic shared memory in the data dir (nothing left in /dev/shm even after
 * a SIGKILL). Resolves once the log says it is ready and `pg_isready` agrees. Never touches the
 * cluster Debian's package may have created.
 *
 * @example
 * ```ts
 * await using db = await startPostgres()
 * const client = new pg.Client({ host: db.host, port: db.port, user: db.user,
 *   password: db.password, database: db.database }) // pg: the `pg` package
 * ```
 * @throws Error when not root or PostgreSQL is missing; ServerStartError (with the server
 *   log) when initdb fails or the server is not ready within `readyTimeoutMs`.
 */
export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresHandle> {
  if (process.getuid?.() !== 0) throw new Error('startPostgres must run as root (it runs the server as postgres)')
  const binDir = postgresBinDir()
  const { uid, gid } = await osAccount(POSTGRES_OS_USER)
  const password = randomBytes(18).toString('base64url')
  const dir = await makeTempDir('postgres')
  try {
    await chmod(dir, 0o711) // the server needs to pass through to its dirs, never list
    const dataDir = join(dir, 'data')
    const socketDir = join(dir, 'socket')
    for (const path of [dataDir, socketDir]) {
      await mkdir(path, { mode: 0o700 })
      await chown(path, uid, gid)
    }
    await initdb(binDir, dir, dataDir, password, { uid, gid })
    const logPath = join(dir, 'postgres.log')
    const netns = options.netns
    const { attempts, pick } = portChoice(netns, options.port)
    return await withFreePort(async (port) => {
      const settings: Record<string, string | number | boolean> = {
        listen_addresses: LOOPBACK,
        port,
        unix_socket_directories: socketDir,
        fsync: 'off',
        synchronous_commit: 'off',
        full_page_writes: 'off',
        dynamic_shared_memory_type: 'mmap',
        ...options.settings,
      }
      const args = ['-D', dataDir, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${String(v)}`])]
      await writeFile(logPath, '')
      const proc = spawnServerProcess(`${binDir}/postgres`, args, logPath, { uid, gid, cwd: dir, netns })
      const close = closer(proc, dataDir, options.stopTimeoutMs ?? 5000, dir)
      try {
        await waitUntilReady(proc, 'postgres', async () =>
          (await proc.log()).includes('database system is ready to accept connections') &&
          (await isReady(binDir, port, netns)),
        options.readyTimeoutMs ?? 15_000)
      } catch (err) {
        await close(false)
        if (err instanceof ServerStartError && /Address already in use/.test(err.log)) {
          throw new PortInUseError(`port ${port} taken`, { cause: err })
        }
        throw err
      }
      const handle: PostgresHandle = {
        host: LOOPBACK,
        port,
        user: POSTGRES_ROLE,
        password,
        database: 'postgres',
        pid: proc.pid,
        dir,
        binDir,
        logPath,
        netns,
        log: () => proc.log(),
        close: () => close(true),
        [Symbol.asyncDispose]: () => close(true),
      }
      return handle
    }, attempts, pick)
  } catch (err) {
    await removeTempDir(dir)
    throw err
  }
}

async function initdb(
  binDir: string, dir: string, dataDir: string, password: string, owner: { uid: number; gid: number },
): Promise<void> {
  const pwfile = join(dir, 'pwfile')
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 })
  await chown(pwfile, owner.uid, owner.gid)
  try {
    const out = await runCommand(`${binDir}/initdb`, [
      '-D', dataDir, '-U', POSTGRES_ROLE, `--pwfile=${pwfile}`, '--auth=scram-sha-256',
      '--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions',
    ], { ...owner, cwd: dir, allowFailure: true, timeoutMs: 60_000, env: { LANG: 'C.UTF-8' } })
    if (out.code !== 0) throw new ServerStartError(`initdb exited with ${out.code}`, out.stdout + out.stderr)
  } finally {
    await rm(pwfile, { force: true })
  }
}

/** Asks `pg_isready` (TCP, 1 s; inside `netns` when given) whether the server accepts connections. */
async function isReady(binDir: string, port: number, netns?: string): Promise<boolean> {
  const args = ['-h', LOOPBACK, '-p', String(port), '-U', POSTGRES_ROLE, '-d', 'postgres', '-t', '1']
  const command = netns === undefined ? { file: `${binDir}/pg_isready`, args } : inNetns(netns, `${binDir}/pg_isready`, args)
  const out = await runCommand(command.file, command.args, { allowFailure: true, timeoutMs: 5000 })
  return out.code === 0
}

/**
 * Returns the idempotent close of one server: SIGINT (PostgreSQL's fast shutdown: ends the
 * sessions, checkpoints, exits), SIGKILL to the postmaster and its children when that takes
 * longer than `stopTimeoutMs`, then the temp dir goes (when `removeDir`; a failed start leaves
 * it to the caller).
 */
function closer(proc: ServerProcess, dataDir: string, stopTimeoutMs: number, dir: string) {
  let closing: Promise<void> | undefined
  const stop = async (): Promise<void> => {
    if (proc.hasExited()) return proc.close()
    signalQuietly(proc.pid, 'SIGINT')
    signalQuietly(proc.pid, 'SIGCONT') // a test may have stopped it
    if (await exitsWithin(proc, stopTimeoutMs)) return proc.close()
    // Kill the postmaster first, so it cannot restart the children it sees die.
    const children = proc.descendants()
    signalQuietly(proc.pid, 'SIGKILL')
    for (const pid of children) {
      signalQuietly(pid, 'SIGKILL')
      signalQuietly(pid, 'SIGCONT')
    }
    await proc.close()
    await removeSysvSegment(dataDir)
  }
  return (removeDir: boolean): Promise<void> => {
    closing ??= stop()
    return removeDir ? closing.finally(() => removeTempDir(dir)) : closing
  }
}

function exitsWithin(proc: ServerProcess, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms)
  })
  return Promise.race([proc.exited.then(() => true), timeout]).finally(() => clearTimeout(timer))
}

/**
 * Removes the small System V segment a SIGKILLed postmaster leaves behind; its id is on line 7
 * of postmaster.pid ("key id").
 */
async function removeSysvSegment(dataDir: string): Promise<void> {
  const lines = (await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')
  const id = lines[6]?.trim().split(/\s+/)[1]
  if (id && /^\d+$/.test(id)) await runCommand('/usr/bin/ipcrm', ['-m', id], { allowFailure: true })
}

async function osAccount(name: string): Promise<{ uid: number; gid: number }> {
  const out = await runCommand('/usr/bin/getent', ['passwd', name], { allowFailure: true })
  const fields = out.stdout.trim().split(':')
  const [uid, gid] = [Number(fields[2]), Number(fields[3])]
  if (out.code !== 0 || !Number.isInteger(uid) || !Number.isInteger(gid) || uid === 0) {
    throw new Error(`no OS account ${name}: run node scripts/prepare-test-host.mjs (package postgresql)`)
  }
  return { uid, gid }
}
