/**
 * A real PostgreSQL server for the lab ("db.lab"), started from the PostgreSQL binaries installed
 * on this machine (Debian: /usr/lib/postgresql/<version>/bin). When there are none, the lab has
 * no database and postgres-through-bastion says so. No protocol is imitated here.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readdirSync } from 'node:fs'
import { chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'

/** A running PostgreSQL server and how to log in to it. */
export interface LabPostgres extends AsyncDisposable {
  readonly port: number
  readonly user: string
  readonly password: string
  readonly database: string
  close(): Promise<void>
}

/** Returns the newest installed PostgreSQL bin directory, or undefined. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : []
  const version = versions.find((v) => existsSync(`${root}/${v}/bin/postgres`))
  return version === undefined ? undefined : `${root}/${version}/bin`
}

/**
 * Starts PostgreSQL on 127.0.0.1 from a fresh data dir under `dir` (as the OS user `postgres`
 * when running as root: PostgreSQL refuses root). Resolves once it accepts connections (≤ 20 s).
 */
export async function startPostgres(binDir: string, dir: string): Promise<LabPostgres> {
  const owner = process.getuid?.() === 0 ? await osAccount('postgres') : undefined
  const password = randomBytes(12).toString('base64url')
  const data = join(dir, 'data')
  await mkdir(data, { recursive: true, mode: 0o700 })
  const pwfile = join(dir, 'pwfile')
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 })
  if (owner) for (const path of [dir, data, pwfile]) await chown(path, owner.uid, owner.gid)
  await promisify(execFile)(`${binDir}/initdb`, ['-D', data, '-U', 'lab', `--pwfile=${pwfile}`, '--auth=scram-sha-256', '--no-sync', '--no-instructions', '--locale=C'],
    { ...owner, cwd: dir, timeout: 60_000, env: { ...process.env, LANG: 'C.UTF-8' } })
  await rm(pwfile)
  const port = await freePort()
  const settings = { listen_addresses: '127.0.0.1', port, unix_socket_directories: dir, fsync: 'off', dynamic_shared_memory_type: 'mmap', logging_collector: 'off' }
  const child = spawn(`${binDir}/postgres`, ['-D', data, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])], {
    ...owner, cwd: dir, stdio: ['ignore', 'ignore', 'pipe'],
  })
  let log = ''
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()))
  const close = stopper(child, dir)
  try {
    await waitFor(() => /ready to accept connections/.test(log), () => child.exitCode !== null, 20_000)
  } catch (err) {
    await close()
    throw new Error(`PostgreSQL did not start: ${(err as Error).message}\n${log}`)
  }
  return { port, user: 'lab', password, database: 'postgres', close, [Symbol.asyncDispose]: close }
}

function stopper(child: ChildProcess, dir: string): () => Promise<void> {
  let closing: Promise<void> | undefined
  return () => (closing ??= (async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGINT') // fast shutdown
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    }
    await rm(dir, { recursive: true, force: true })
  })())
}

async function waitFor(ready: () => boolean, failed: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!ready()) {
    if (failed()) throw new Error('the server exited')
    if (Date.now() > deadline) throw new Error(`not ready after ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function osAccount(name: string): Promise<{ uid: number; gid: number }> {
  const line = (await readFile('/etc/passwd', 'utf8')).split('\n').find((l) => l.startsWith(`${name}:`))
  const [uid, gid] = (line ?? '').split(':').slice(2, 4).map(Number)
  if (uid === undefined || gid === undefined || !Number.isInteger(uid) || uid === 0) throw new Error(`no OS account ${name} (package postgresql creates it)`)
  return { uid, gid: gid ?? uid }
}
