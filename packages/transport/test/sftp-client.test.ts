/**
 * SftpClient against a real OpenSSH sshd (internal-sftp) started on loopback by this file.
 * The remote side is this machine, so the local file system is the oracle for every operation.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createReadStream as createLocalReadStream } from 'node:fs'
import * as fs from 'node:fs/promises'
import { createServer, connect as netConnect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { promisify } from 'node:util'
import { Client } from 'ssh2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConnectionLostError, SFTPError } from '../src/errors.js'
import { createSftpClient } from '../src/sftp/create.js'
import type { SftpClient } from '../src/sftp/sftp-client.js'
import { SftpStatus } from '../src/sftp/types.js'

const run = promisify(execFile)
const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex')
const sha256File = async (path: string): Promise<string> => {
  const hash = createHash('sha256')
  await pipeline(createLocalReadStream(path), hash)
  return hash.digest('hex')
}

let dir = ''
let remote = '' // the directory the tests work in, reached both over SFTP and locally
let sshd: ChildProcess | undefined
let sshdLog = ''
let port = 0
let hostKey: Buffer
let privateKey: Buffer
const clients: Client[] = []
const clientErrors: Error[] = []

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = createServer().once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address()
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })

const canConnect = (): Promise<boolean> =>
  new Promise((resolve) => {
    const sock = netConnect(port, '127.0.0.1')
    sock.once('connect', () => sock.destroy() && resolve(true)).once('error', () => resolve(false))
  })

async function startSshd(): Promise<void> {
  dir = await fs.mkdtemp(join(tmpdir(), 'sftp-client-test-'))
  remote = join(dir, 'remote')
  await fs.mkdir(remote)
  for (const name of ['hostkey', 'clientkey']) await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, name)])
  await fs.copyFile(join(dir, 'clientkey.pub'), join(dir, 'authorized_keys'))
  hostKey = Buffer.from((await fs.readFile(join(dir, 'hostkey.pub'), 'utf8')).split(' ')[1] ?? '', 'base64')
  privateKey = await fs.readFile(join(dir, 'clientkey'))
  port = await freePort()
  const config = [
    `ListenAddress 127.0.0.1:${port}`,
    `HostKey ${join(dir, 'hostkey')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'StrictModes no',
    'UsePAM no',
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'Subsystem sftp internal-sftp',
    'SetEnv SHLVL=1',
  ].join('\n')
  await fs.writeFile(join(dir, 'sshd_config'), `${config}\n`)
  await fs.mkdir('/run/sshd', { recursive: true })
  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] })
  sshd = child
  child.stderr?.on('data', (d: Buffer) => void (sshdLog = (sshdLog + d.toString()).slice(-8192)))
  const deadline = Date.now() + 10_000
  while (!(await canConnect())) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`sshd did not start:\n${sshdLog}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function connect(): Promise<Client> {
  const c = new Client()
  c.on('error', (err: Error) => clientErrors.push(err))
  clients.push(c)
  await new Promise<void>((resolve, reject) => {
    c.once('ready', resolve).once('error', reject).once('close', () => reject(new Error('closed before ready')))
    c.connect({
      host: '127.0.0.1',
      port,
      username: 'root',
      privateKey,
      hostVerifier: (key: Buffer) => key.equals(hostKey),
      readyTimeout: 10_000,
    })
  })
  return c
}

const openSftp = (c: Client, onClose?: (error?: Error) => void): Promise<SftpClient> =>
  new Promise((resolve, reject) => c.sftp((err, wrapper) => (err ? reject(err) : resolve(createSftpClient(wrapper, { onClose })))))

const endClient = (c: Client): Promise<void> =>
  new Promise((resolve) => {
    const s = (c as unknown as { _sock?: { destroyed?: boolean } })._sock
    if (s === undefined || s.destroyed === true) return resolve()
    c.once('close', () => resolve())
    c.end()
  })

/** Lists the pids (this process included) that hold an open fd on `path`: the oracle for leaked handles. */
async function openersOf(path: string): Promise<number[]> {
  const found: number[] = []
  for (const pid of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    const fds = await fs.readdir(`/proc/${pid}/fd`).catch(() => [] as string[])
    for (const fd of fds) {
      if ((await fs.readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')) === path) found.push(Number(pid))
    }
  }
  return found
}

let sftp: SftpClient
let big = '' // a 32 MiB random file in `remote`
let bigHash = ''

beforeAll(async () => {
  await startSshd()
  sftp = await openSftp(await connect())
  big = join(remote, 'big.bin')
  const data = randomBytes(32 * 1024 * 1024)
  bigHash = sha256(data)
  await fs.writeFile(big, data)
})

afterAll(async () => {
  await sftp?.close()
  await Promise.all(clients.map(endClient))
  const child = sshd
  if (child && child.exitCode === null && child.signalCode === null) {
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve())
      child.kill('SIGTERM')
    })
  }
  child?.stderr?.destroy()
  if (dir !== '') await fs.rm(dir, { recursive: true, force: true })
  expect(clientErrors).toEqual([])
})

describe('SftpClient file system operations', () => {
  it('round-trips stat, lstat, mkdir, readdir, rename, chmod, utimes, symlink, readlink, realpath, exists, unlink, rmdir', async () => {
    const a = join(remote, 'ops', 'a.txt')
    await sftp.mkdir(join(remote, 'ops'), { mode: 0o755 })
    expect((await fs.stat(join(remote, 'ops'))).isDirectory()).toBe(true)
    await sftp.writeFile(a, 'hello', { mode: 0o640 })
    const st = await sftp.stat(a)
    const local = await fs.stat(a)
    expect([st.isFile(), st.isDirectory(), st.size, st.mode, st.uid, st.mtime]).toEqual([
      true, false, 5, local.mode, local.uid, Math.floor(local.mtimeMs / 1000),
    ])
    expect(st.mode! & 0o777).toBe(0o640)

    await sftp.mkdir(join(remote, 'ops', 'p', 'q', 'r'), { recursive: true })
    await sftp.mkdir(join(remote, 'ops', 'p', 'q'), { recursive: true }) // existing: fine
    expect((await fs.stat(join(remote, 'ops', 'p', 'q', 'r'))).isDirectory()).toBe(true)
    const exists = await sftp.mkdir(join(remote, 'ops', 'p')).catch((e: unknown) => e)
    expect(exists).toBeInstanceOf(SFTPError)
    expect((exists as SFTPError).status).toBe(SftpStatus.FAILURE)
    await expect(sftp.mkdir(join(a, 'x'), { recursive: true })).rejects.toBeInstanceOf(SFTPError)

    const entries = await sftp.readdir(join(remote, 'ops'))
    expect(entries.map((e) => e.filename).sort()).toEqual((await fs.readdir(join(remote, 'ops'))).sort())
    const entry = entries.find((e) => e.filename === 'a.txt')
    expect(entry?.attrs.isFile()).toBe(true)
    expect(entry?.attrs.size).toBe(5)
    expect(entry?.longname).toContain('a.txt')

    const b = join(remote, 'ops', 'b.txt')
    await sftp.rename(a, b)
    expect([await sftp.exists(a), await sftp.exists(b)]).toEqual([false, true])
    await sftp.writeFile(a, 'other')
    await expect(sftp.rename(a, b)).rejects.toBeInstanceOf(SFTPError) // SFTP v3: target exists
    await sftp.rename(a, b, { overwrite: true })
    expect(await fs.readFile(b, 'utf8')).toBe('other')

    await sftp.chmod(b, 0o600)
    expect((await fs.stat(b)).mode & 0o777).toBe(0o600)
    await sftp.utimes(b, 1_000_000_000, new Date(1_500_000_000_000))
    const times = await sftp.stat(b)
    expect([times.atime, times.mtime]).toEqual([1_000_000_000, 1_500_000_000])
    expect(Math.floor((await fs.stat(b)).mtimeMs / 1000)).toBe(1_500_000_000)

    const link = join(remote, 'ops', 'link')
    await sftp.symlink('b.txt', link)
    expect(await fs.readlink(link)).toBe('b.txt')
    expect(await sftp.readlink(link)).toBe('b.txt')
    expect((await sftp.lstat(link)).isSymbolicLink()).toBe(true)
    expect((await sftp.stat(link)).isFile()).toBe(true)
    const messy = join(remote, 'ops', 'p', '..', 'p', '.', 'q')
    expect(await sftp.realpath(messy)).toBe(await fs.realpath(messy))
    expect(await sftp.realpath(link)).toBe(await fs.realpath(b)) // OpenSSH resolves symlinks too

    await sftp.unlink(link)
    await sftp.unlink(b)
    await sftp.rmdir(join(remote, 'ops', 'p', 'q', 'r'))
    expect(await sftp.exists(join(remote, 'ops', 'p', 'q', 'r'))).toBe(false)
    expect(await fs.readdir(join(remote, 'ops'))).toEqual(['p'])
  })

  it('raises SFTPError with status 2 (no such file) and the path', async () => {
    const missing = join(remote, 'missing', 'file')
    for (const call of [
      () => sftp.stat(missing),
      () => sftp.lstat(missing),
      () => sftp.readdir(missing),
      () => sftp.unlink(missing),
      () => sftp.readFile(missing),
      () => sftp.fastGet(missing, join(dir, 'never')),
      () => sftp.writeFile(missing, 'x'),
    ]) {
      const err = await call().catch((e: unknown) => e)
      expect(err).toBeInstanceOf(SFTPError)
      expect(err).toMatchObject({ code: 'ERR_SSH_SFTP', status: SftpStatus.NO_SUCH_FILE, path: missing })
      expect((err as SFTPError).cause).toBeInstanceOf(Error)
    }
    expect(await sftp.exists(missing)).toBe(false)
  })
})

describe('SftpClient whole files and streams', () => {
  it('writes and reads whole files byte-exact (empty, string, Uint8Array, larger than one chunk)', async () => {
    const cases: Array<[string, Uint8Array | string]> = [
      ['empty', Buffer.alloc(0)],
      ['text', 'héllo wörld\n'],
      ['u8', new Uint8Array(randomBytes(1000).buffer, 7, 500)],
      ['odd', randomBytes(3 * 1024 * 1024 + 17)],
    ]
    for (const [name, data] of cases) {
      const path = join(remote, `file-${name}`)
      await sftp.writeFile(path, data)
      const expected = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data)
      expect(sha256(await fs.readFile(path))).toBe(sha256(expected))
      expect(sha256(await sftp.readFile(path))).toBe(sha256(expected))
    }
    const appended = join(remote, 'file-appended')
    const parts = Array.from({ length: 3 }, () => randomBytes(200_000))
    for (const part of parts) await sftp.writeFile(appended, part, { flags: 'a' })
    expect(sha256(await fs.readFile(appended))).toBe(sha256(Buffer.concat(parts)))
    const exclusive = await sftp.writeFile(join(remote, 'file-text'), 'x', { flags: 'wx' }).catch((e: unknown) => e)
    expect(exclusive).toMatchObject({ code: 'ERR_SSH_SFTP', status: SftpStatus.FAILURE })
  })

  it('streams a file up and down, honours start/end, and reports errors as SFTPError', async () => {
    const data = randomBytes(5 * 1024 * 1024 + 3)
    const path = join(remote, 'stream.bin')
    const chunks = Array.from({ length: 81 }, (_, i) => data.subarray(i * 65536, (i + 1) * 65536))
    await pipeline(Readable.from(chunks), sftp.createWriteStream(path, { mode: 0o600 }))
    expect(sha256(await fs.readFile(path))).toBe(sha256(data))
    expect((await fs.stat(path)).mode & 0o777).toBe(0o600)

    const got: Buffer[] = []
    await pipeline(sftp.createReadStream(path), new Writable({ write: (c: Buffer, _e, cb) => void (got.push(c), cb()) }))
    expect(sha256(Buffer.concat(got))).toBe(sha256(data))

    const slice: Buffer[] = []
    for await (const c of sftp.createReadStream(path, { start: 100, end: 200_000 })) slice.push(c as Buffer)
    expect(Buffer.concat(slice).equals(data.subarray(100, 200_001))).toBe(true)

    const err = await pipeline(sftp.createReadStream(join(remote, 'nope')), new Writable({ write: (_c, _e, cb) => cb() })).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'ERR_SSH_SFTP', status: SftpStatus.NO_SUCH_FILE, path: join(remote, 'nope') })

    const ac = new AbortController()
    const reason = new Error('stop reading')
    const reading = sftp.createReadStream(path, { signal: ac.signal, highWaterMark: 1024 })
    const aborted = (async () => {
      for await (const _ of reading) ac.abort(reason)
    })()
    await expect(aborted).rejects.toBe(reason)
    if (!reading.closed) await once(reading, 'close')
    expect(await openersOf(path)).toEqual([])

    const noDir = join(remote, 'no', 'dir')
    const wErr = await pipeline(Readable.from([Buffer.from('x')]), sftp.createWriteStream(noDir)).catch((e: unknown) => e)
    expect(wErr).toMatchObject({ code: 'ERR_SSH_SFTP', status: SftpStatus.NO_SUCH_FILE, path: noDir })

    const wac = new AbortController()
    const wReason = new Error('stop writing')
    const target = join(remote, 'aborted-stream.bin')
    const writing = sftp.createWriteStream(target, { signal: wac.signal })
    async function* endless(): AsyncGenerator<Buffer> {
      for (let i = 0; ; i++) {
        if (i === 40) wac.abort(wReason)
        yield randomBytes(65536)
      }
    }
    await expect(pipeline(Readable.from(endless()), writing)).rejects.toBe(wReason)
    if (!writing.closed) await once(writing, 'close')
    expect(await openersOf(target)).toEqual([])
    expect((await fs.stat(target)).size).toBeGreaterThan(0)
  })
})

describe('SftpClient parallel transfers', () => {
  it('moves 32 MiB up and down byte-exact with progress reaching the total', async () => {
    const local = join(dir, 'down.bin')
    const down: Array<[number, number]> = []
    await sftp.fastGet(big, local, { onProgress: (n, total) => void down.push([n, total]) })
    expect(await sha256File(local)).toBe(bigHash)
    expect(down.at(-1)).toEqual([32 * 1024 * 1024, 32 * 1024 * 1024])
    expect(down.every(([n], i) => i === 0 || n > down[i - 1]![0])).toBe(true)

    const up: Array<[number, number]> = []
    const target = join(remote, 'up.bin')
    await sftp.fastPut(local, target, { concurrency: 16, chunkSize: 64 * 1024, mode: 0o600, onProgress: (n, t) => void up.push([n, t]) })
    expect(await sha256File(target)).toBe(bigHash)
    expect(up.at(-1)).toEqual([32 * 1024 * 1024, 32 * 1024 * 1024])
    expect((await fs.stat(target)).mode & 0o777).toBe(0o600)
    expect([...(await openersOf(local)), ...(await openersOf(target))]).toEqual([])
  })

  it('rejects an aborted fastGet with the signal reason and leaves no handle open on either side', async () => {
    const local = join(dir, 'aborted.bin')
    const ac = new AbortController()
    const reason = new Error('user cancelled')
    let last = 0
    const err = await sftp
      .fastGet(big, local, {
        signal: ac.signal,
        onProgress: (n) => {
          last = n
          if (n >= 4 * 1024 * 1024) ac.abort(reason)
        },
      })
      .catch((e: unknown) => e)
    expect(err).toBe(reason)
    expect(last).toBeGreaterThan(0)
    expect(last).toBeLessThan(32 * 1024 * 1024)
    expect([...(await openersOf(big)), ...(await openersOf(local))]).toEqual([])
    expect((await sftp.stat(big)).size).toBe(32 * 1024 * 1024) // the client is still usable

    await expect(sftp.fastGet(big, local, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason)

    // Aborted while the OPEN is in flight: the handle that arrives later is closed.
    const early = new AbortController()
    const reading = sftp.readFile(big, { signal: early.signal })
    early.abort(reason)
    await expect(reading).rejects.toBe(reason)
    await sftp.realpath('.') // one more round trip: the late OPEN answer and our CLOSE have been processed
    expect(await openersOf(big)).toEqual([])
    await expect(sftp.stat(big, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason)
  })
})

describe('SftpClient lifetime', () => {
  it('rejects every pending call with ConnectionLostError when the connection is destroyed', async () => {
    const conn = await connect()
    const closes: Array<Error | undefined> = []
    const client = await openSftp(conn, (error) => void closes.push(error))
    expect(client.isOpen).toBe(true)
    const local = join(dir, 'lost.bin')
    const pending: Array<Promise<unknown>> = []
    // Once the transfer is under way, queue more calls and destroy the socket in the same tick,
    // so none of them can have been answered.
    const onProgress = (): void => {
      if (pending.length > 1) return
      const more = [client.readFile(big), client.stat(big), client.readdir(remote), client.mkdir(join(remote, 'never'))]
      for (const p of more) p.catch(() => {}) // handled below, after the transfer settles
      pending.push(...more)
      conn.destroy()
    }
    pending.unshift(client.fastGet(big, local, { onProgress }))
    await pending[0]!.catch(() => {})
    expect(pending).toHaveLength(5)
    const results = await Promise.allSettled(pending)
    for (const r of results) {
      expect(r.status).toBe('rejected')
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ConnectionLostError)
    }
    expect(client.isOpen).toBe(false)
    await expect(client.stat(big)).rejects.toBeInstanceOf(ConnectionLostError)
    await client.close()
    expect(closes).toHaveLength(1)
    expect(await openersOf(local)).toEqual([])
  })

  it('closes idempotently, rejects pending and later calls, and disposes with await using', async () => {
    const conn = await connect()
    const client = await openSftp(conn)
    const pending = client.readFile(big).catch((e: unknown) => e)
    await Promise.all([client.close(), client.close()])
    expect(await pending).toBeInstanceOf(ConnectionLostError)
    await expect(client.stat(big)).rejects.toBeInstanceOf(ConnectionLostError)
    expect(client.isOpen).toBe(false)
    {
      await using disposable = await openSftp(conn)
      expect(await disposable.exists(big)).toBe(true)
    }
    await endClient(conn)
  })

  it('keeps an error listener on the wrapper and refuses anything that is not one', async () => {
    const conn = await connect()
    const wrapper = await new Promise<import('ssh2').SFTPWrapper>((resolve, reject) => conn.sftp((e, w) => (e ? reject(e) : resolve(w))))
    const client = createSftpClient(wrapper)
    expect(wrapper.listenerCount('error')).toBeGreaterThan(0)
    await client.close()
    expect(wrapper.listenerCount('error')).toBeGreaterThan(0)
    expect(() => createSftpClient({})).toThrow(TypeError)
    await endClient(conn)
  })
})
