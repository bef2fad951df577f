/**
 * SftpClient against the test bed's OpenSSH sshd (internal-sftp), reached through a Transport.
 * The remote side is this machine, so the local file system is the oracle for every operation.
 * The SFTP session runs as the test user, so the tests work in a directory that user owns.
 */
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createReadStream as createLocalReadStream } from 'node:fs'
import * as fs from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { startSshd, testUser, type SshdHandle } from '@x/testbed'
import type { SSHError, Transport } from '@x/transport'
import ssh2, { type SFTPWrapper } from 'ssh2'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { ConnectionLostError, SFTPError } from '../src/errors.js'
import { createSftpClient } from '../src/sftp/create.js'
import type { SftpClient } from '../src/sftp/sftp-client.js'
import { SftpStatus } from '../src/sftp/types.js'
import { authenticatedTransport, testUserTempDir } from './helpers.js'

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex')
const sha256File = async (path: string): Promise<string> => {
  const hash = createHash('sha256')
  await pipeline(createLocalReadStream(path), hash)
  return hash.digest('hex')
}

let sshd: SshdHandle
let dir = '' // local-only files (downloads), never touched over SFTP
let remote = '' // the directory the tests work in, reached both over SFTP and locally
const transports: Transport[] = []
/** Errors that closed a transport without the test asking for it. */
const transportErrors: SSHError[] = []

/** An authenticated Transport to the test sshd, closed by afterAll. */
async function connect(): Promise<Transport> {
  const t = await authenticatedTransport(sshd)
  t.on('close', (err) => void (err && transportErrors.push(err)))
  transports.push(t)
  return t
}

/**
 * Opens SFTP through `t.openSftpClient()` and also hands back the ssh2 SFTP wrapper under it,
 * caught on its way from ssh2's `Client#sftp` to the Transport (nothing else is changed), so
 * a test can look at the wrapper or wrap it again with `createSftpClient` options.
 */
async function openSftpWithWrapper(t: Transport): Promise<{ client: SftpClient; wrapper: SFTPWrapper; errorListenersBefore: number }> {
  type SftpCallback = (err: Error | undefined, wrapper: SFTPWrapper) => void
  const original = ssh2.Client.prototype.sftp as (this: ssh2.Client, cb: SftpCallback) => void
  let caught: { wrapper: SFTPWrapper; errorListenersBefore: number } | undefined
  const spy = vi.spyOn(ssh2.Client.prototype, 'sftp').mockImplementation(function (this: ssh2.Client, ...args: unknown[]) {
    const cb = args.at(-1) as SftpCallback
    original.call(this, (err, wrapper) => {
      if (!err) caught = { wrapper, errorListenersBefore: wrapper.listenerCount('error') }
      cb(err, wrapper)
    })
  } as never)
  try {
    const client = await t.openSftpClient()
    if (!caught) throw new Error('openSftpClient() did not go through ssh2 Client#sftp')
    return { client, ...caught }
  } finally {
    spy.mockRestore()
  }
}

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
  sshd = await startSshd()
  dir = await fs.mkdtemp(join(tmpdir(), 'sftp-client-test-'))
  remote = await testUserTempDir('sftp-client-remote')
  sftp = await (await connect()).openSftpClient()
  big = join(remote, 'big.bin')
  const data = randomBytes(32 * 1024 * 1024)
  bigHash = sha256(data)
  await fs.writeFile(big, data)
})

afterAll(async () => {
  await sftp?.close()
  await Promise.all(transports.map((t) => t.close()))
  await sshd?.close()
  await Promise.all([dir, remote].filter((d) => d !== '').map((d) => fs.rm(d, { recursive: true, force: true })))
  await new Promise((resolve) => setImmediate(resolve)) // a transport's 'close' event comes a tick after close()
  expect(transportErrors).toEqual([])
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
    expect(st.uid).toBe((await testUser()).uid) // the session runs as the test user, not root

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
    // The late OPEN answer can arrive after the next request was sent, and our CLOSE goes out
    // only then: the first round trip delivers that answer, the second is ordered after the CLOSE.
    await sftp.realpath('.')
    await sftp.realpath('.')
    expect(await openersOf(big)).toEqual([])
    await expect(sftp.stat(big, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason)
  })
})

describe('SftpClient extensions and exclusive uploads', () => {
  it('tells that OpenSSH advertises posix-rename@openssh.com and not a made-up extension', () => {
    expect(sftp.hasExtension('posix-rename@openssh.com')).toBe(true)
    expect(sftp.hasExtension('no-such-extension@example.com')).toBe(false)
  })

  it("fails fastPut with flags 'wx' with status 4 when the remote file exists, leaving it untouched", async () => {
    const local = join(dir, 'exclusive.txt')
    await fs.writeFile(local, 'new')
    const target = join(remote, 'exclusive.txt')
    await sftp.fastPut(local, target, { flags: 'wx' })
    expect(await fs.readFile(target, 'utf8')).toBe('new')
    await fs.writeFile(local, 'newer')
    const err = await sftp.fastPut(local, target, { flags: 'wx' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SFTPError)
    expect((err as SFTPError).status).toBe(SftpStatus.FAILURE)
    expect(await fs.readFile(target, 'utf8')).toBe('new')
    await expect(sftp.fastPut(local, target, { flags: 'a' as never })).rejects.toBeInstanceOf(TypeError)
  })
})

describe('SftpClient lifetime', () => {
  it('rejects every pending call with ConnectionLostError when the connection is destroyed', async () => {
    const conn = await connect()
    const { client, wrapper } = await openSftpWithWrapper(conn)
    // A second client on the same ssh2 wrapper observes onClose (the Transport passes none).
    const closes: Array<Error | undefined> = []
    const observer = createSftpClient(wrapper, { onClose: (error) => void closes.push(error) })
    expect([client.isOpen, observer.isOpen]).toEqual([true, true])
    const local = join(dir, 'lost.bin')
    const pending: Array<Promise<unknown>> = []
    // Once the transfer is under way, queue more calls and destroy the transport in the same
    // tick, so none of them can have been answered.
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
    expect([client.isOpen, observer.isOpen]).toEqual([false, false])
    await expect(client.stat(big)).rejects.toBeInstanceOf(ConnectionLostError)
    await client.close()
    await observer.close()
    expect(closes).toHaveLength(1)
    expect(await openersOf(local)).toEqual([])
  })

  it('closes idempotently, rejects pending and later calls, and disposes with await using', async () => {
    const conn = await connect()
    const client = await conn.openSftpClient()
    const pending = client.readFile(big).catch((e: unknown) => e)
    await Promise.all([client.close(), client.close()])
    expect(await pending).toBeInstanceOf(ConnectionLostError)
    await expect(client.stat(big)).rejects.toBeInstanceOf(ConnectionLostError)
    expect(client.isOpen).toBe(false)
    {
      await using disposable = await conn.openSftpClient()
      expect(await disposable.exists(big)).toBe(true)
    }
    await conn.close()
  })

  it('keeps an error listener on the wrapper and refuses anything that is not one', async () => {
    const conn = await connect()
    const { client, wrapper, errorListenersBefore } = await openSftpWithWrapper(conn)
    expect(wrapper.listenerCount('error')).toBeGreaterThan(errorListenersBefore)
    await client.close()
    expect(wrapper.listenerCount('error')).toBeGreaterThan(errorListenersBefore)
    expect(() => createSftpClient({})).toThrow(TypeError)
    await conn.close()
  })
})
