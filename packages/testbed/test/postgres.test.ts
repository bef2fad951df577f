import { existsSync, readFileSync, statSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  POSTGRES_OS_USER, childPids, isProcessAlive, postgresBinDir, processCommandLine, runCommand, startPostgres,
} from '../src/index.js'
import type { CommandOutput, PostgresHandle } from '../src/index.js'

/** Runs `sql` with psql over TCP as `pg.user` (password from PGPASSWORD), unaligned, tuples only. */
function psql(pg: PostgresHandle, sql: string, password = pg.password): Promise<CommandOutput> {
  return runCommand(`${pg.binDir}/psql`, [
    `host=${pg.host} port=${pg.port} user=${pg.user} dbname=${pg.database} connect_timeout=5`,
    '-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql,
  ], { env: { PGPASSWORD: password }, allowFailure: true, timeoutMs: 15_000 })
}

describe('startPostgres', () => {
  let pg: PostgresHandle
  beforeAll(async () => {
    pg = await startPostgres()
  })
  afterAll(() => pg?.close())

  it('answers a query on 127.0.0.1 as the password role', async () => {
    expect(pg.host).toBe('127.0.0.1')
    expect(pg.port).toBeGreaterThan(0)
    const out = await psql(pg, 'SELECT 6 * 7')
    expect(out.stderr).toBe('')
    expect(out.stdout).toBe('42\n')
  })

  it('runs from a fresh data dir as the postgres OS account, never the Debian cluster', async () => {
    expect(postgresBinDir()).toBe(pg.binDir)
    expect(pg.binDir).toMatch(/^\/usr\/lib\/postgresql\/\d+\/bin$/)
    const out = await psql(pg, 'SHOW data_directory')
    expect(out.stdout.trim()).toBe(`${pg.dir}/data`)
    const account = (await runCommand('/usr/bin/getent', ['passwd', POSTGRES_OS_USER])).stdout.split(':')
    expect(statSync(`/proc/${pg.pid}`).uid).toBe(Number(account[2])) // the postmaster's uid
  })

  it('uses scram-sha-256 for every connection and refuses a wrong password', async () => {
    const rules = await psql(pg, 'SELECT DISTINCT auth_method FROM pg_hba_file_rules')
    expect(rules.stdout).toBe('scram-sha-256\n')
    const stored = await psql(pg, `SELECT left(rolpassword, 14) FROM pg_authid WHERE rolname = '${pg.user}'`)
    expect(stored.stdout).toBe('SCRAM-SHA-256$\n')
    const wrong = await psql(pg, 'SELECT 1', 'wrong')
    expect(wrong.code).toBe(2)
    expect(wrong.stderr).toContain('password authentication failed')
  })

  it('listens on 127.0.0.1 only, with its socket and shared memory in its temp dir, fsync off', async () => {
    const names = ['listen_addresses', 'unix_socket_directories', 'dynamic_shared_memory_type', 'fsync']
    const out = await psql(pg, `SELECT ${names.map((n) => `current_setting('${n}')`).join(" || ' ' || ")}`)
    // mmap: dynamic shared memory lives in the data dir, not /dev/shm, so even a SIGKILL leaves none.
    expect(out.stdout).toBe(`127.0.0.1 ${pg.dir}/socket mmap off\n`)
  })
})

describe('startPostgres close()', () => {
  it('stops the server with a fast shutdown and removes its temp dir; idempotent', async () => {
    await using pg = await startPostgres({ settings: { max_connections: 7 } })
    expect((await psql(pg, 'SHOW max_connections')).stdout).toBe('7\n')
    await pg.close()
    expect(isProcessAlive(pg.pid)).toBe(false)
    expect(existsSync(pg.dir)).toBe(false)
    await pg.close()
  })

  it('SIGKILLs a server that does not shut down in time, and removes its System V segment', async () => {
    await using pg = await startPostgres({ stopTimeoutMs: 300 }) // disposed even when a check fails
    const children = childPids(pg.pid)
    expect(children.length).toBeGreaterThan(0)
    // postmaster.pid line 7: "<shm key> <shm id>"
    const shmid = readFileSync(`${pg.dir}/data/postmaster.pid`, 'utf8').split('\n')[6]?.trim().split(/\s+/)[1]
    expect(shmid).toMatch(/^\d+$/)
    // A stopped checkpointer never writes the shutdown checkpoint, so the fast shutdown hangs.
    const checkpointer = children.find((pid) => processCommandLine(pid).includes('checkpointer'))
    expect(checkpointer).toBeDefined()
    process.kill(checkpointer!, 'SIGSTOP')
    const started = Date.now()
    await pg.close()
    expect(Date.now() - started).toBeGreaterThanOrEqual(300)
    expect(Date.now() - started).toBeLessThan(5000)
    expect([pg.pid, ...children].filter(isProcessAlive)).toEqual([])
    expect(existsSync(pg.dir)).toBe(false)
    const segments = (await runCommand('/usr/bin/ipcs', ['-m'])).stdout
    expect(segments).not.toMatch(new RegExp(`^\\S+\\s+${shmid}\\s`, 'm'))
  })

  it('keeps its data dir private to the postgres account', async () => {
    await using pg = await startPostgres()
    const data = statSync(`${pg.dir}/data`)
    expect(data.mode & 0o777).toBe(0o700)
    expect(data.uid).toBe(statSync(`/proc/${pg.pid}`).uid)
  })
})
