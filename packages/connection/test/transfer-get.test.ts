/**
 * get() against the test bed's OpenSSH sshd through a Transport. Remote files are made directly
 * on this machine's file system (the server is local), downloads are checked by SHA-256, and the
 * destination directory is listed after every failure: an atomic get leaves no file behind and
 * an existing destination untouched.
 */
// The sync calls look at the destination from inside onProgress, between two writes.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import * as fs from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { startSshd, testUser, type SshdHandle } from '@x/testbed'
import { ConnectionLostError, SFTPError, SftpStatus, type SftpClient, type SSHError, type Transport } from '@x/transport'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { get } from '../src/transfer/get.js'
import { authenticatedTransport, testUserTempDir } from '../../transport/test/helpers.js'
import { randomFile, sha256, sha256File } from './file-fixtures.js'

const MiB = 1024 * 1024

/** A Writable that keeps what it is given. */
function sink(): Writable & { data(): Buffer } {
  const chunks: Buffer[] = []
  const w = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk)
      callback()
    },
  })
  return Object.assign(w, { data: () => Buffer.concat(chunks) })
}

let sshd: SshdHandle
let t: Transport
let sftp: SftpClient
let local = ''
let remote = ''
let big = '' // 256 MiB in `remote`
let bigHash = ''
const closeErrors: SSHError[] = []

beforeAll(async () => {
  sshd = await startSshd()
  t = await authenticatedTransport(sshd)
  t.on('close', (err) => void (err && closeErrors.push(err)))
  sftp = await t.openSftpClient()
  local = await fs.mkdtemp(join(tmpdir(), 'transfer-get-local-'))
  remote = await testUserTempDir('transfer-get-remote')
  big = join(remote, 'big.bin')
  bigHash = await randomFile(big, 256 * MiB)
}, 120_000)

afterAll(async () => {
  await sftp?.close()
  await t?.close()
  await sshd?.close()
  await Promise.all([local, remote].filter((d) => d !== '').map((d) => fs.rm(d, { recursive: true, force: true })))
  await new Promise((resolve) => setImmediate(resolve))
  expect(closeErrors).toEqual([])
})

/** A fresh empty local directory for one test. */
async function freshDir(name: string): Promise<string> {
  const dir = join(local, name)
  await fs.mkdir(dir)
  return dir
}

describe('get() to a local path', () => {
  it.each([0, 1, 32767, 32769])('downloads %i bytes byte-exact, with progress up to the total', async (size) => {
    const source = join(remote, `exact-${size}.bin`)
    const hash = await randomFile(source, size)
    const dir = await freshDir(`exact-${size}`)
    const dest = join(dir, 'out.bin')
    const calls: Array<[number, number | undefined]> = []
    const result = await get(sftp, source, dest, { onProgress: (n, total) => calls.push([n, total]) })
    expect(result).toEqual({ localPath: dest, remotePath: source, bytes: size })
    expect(await sha256File(dest)).toBe(hash)
    expect(calls.at(-1)).toEqual([size, size])
    expect(await fs.readdir(dir)).toEqual(['out.bin']) // no temp file left
  })

  it('downloads 256 MiB byte-exact', async () => {
    const dir = await freshDir('big')
    const result = await get(sftp, big, join(dir, 'big.bin'))
    expect(result.bytes).toBe(256 * MiB)
    expect(await sha256File(join(dir, 'big.bin'))).toBe(bigHash)
    expect(await fs.readdir(dir)).toEqual(['big.bin'])
    await fs.rm(join(dir, 'big.bin'))
  }, 180_000)

  it('writes into a hidden 0600 temporary file next to the destination while downloading', async () => {
    const dir = await freshDir('temp-mode')
    const seen: Array<{ name: string; mode: number }> = []
    let looked = false
    await get(sftp, big, join(dir, 'big.bin'), {
      onProgress: (n) => {
        if (looked || n < 8 * MiB) return
        looked = true
        for (const name of readdirSync(dir)) seen.push({ name, mode: statSync(join(dir, name)).mode & 0o7777 })
      },
    })
    expect(seen).toHaveLength(1)
    expect(seen[0]!.name).toMatch(/^\.big\.bin\.[0-9a-f]{12}\.part$/)
    expect(seen[0]!.mode).toBe(0o600)
    expect((await fs.stat(join(dir, 'big.bin'))).mode & 0o7777).toBe(0o644) // the remote mode after commit
    await fs.rm(join(dir, 'big.bin'))
  }, 180_000)

  it('gives the local file the remote permission bits by default, and not with preserveMode: false', async () => {
    const source = join(remote, 'moded.txt')
    await fs.writeFile(source, 'mode')
    const user = await testUser()
    await fs.chown(source, user.uid, user.gid) // readable by its owner only: the session's user
    await fs.chmod(source, 0o640)
    const dir = await freshDir('modes')
    await get(sftp, source, join(dir, 'preserved.txt'))
    expect((await fs.stat(join(dir, 'preserved.txt'))).mode & 0o7777).toBe(0o640)

    await get(sftp, source, join(dir, 'new.txt'), { preserveMode: false })
    expect((await fs.stat(join(dir, 'new.txt'))).mode & 0o7777).toBe(0o666 & ~process.umask())

    await fs.writeFile(join(dir, 'existing.txt'), 'old')
    await fs.chmod(join(dir, 'existing.txt'), 0o600)
    await get(sftp, source, join(dir, 'existing.txt'), { preserveMode: false })
    expect((await fs.stat(join(dir, 'existing.txt'))).mode & 0o7777).toBe(0o600)
    expect(await fs.readFile(join(dir, 'existing.txt'), 'utf8')).toBe('mode')
  })

  it('downloads into an existing directory, or a path ending in /, under the remote base name (creating missing directories)', async () => {
    const source = join(remote, 'named.txt')
    await fs.writeFile(source, 'named')
    const dir = await freshDir('into-dir')
    expect((await get(sftp, source, dir)).localPath).toBe(join(dir, 'named.txt'))
    expect(await fs.readFile(join(dir, 'named.txt'), 'utf8')).toBe('named')
    const nested = join(dir, 'a', 'b')
    expect((await get(sftp, source, `${nested}/`)).localPath).toBe(join(nested, 'named.txt'))
    expect(await fs.readFile(join(nested, 'named.txt'), 'utf8')).toBe('named')
  })

  it('replaces an existing destination only once the download is complete', async () => {
    const source = join(remote, 'replace.bin')
    const hash = await randomFile(source, 2 * MiB + 3)
    const dir = await freshDir('replace')
    await fs.writeFile(join(dir, 'out.bin'), 'old content')
    const before: string[] = []
    await get(sftp, source, join(dir, 'out.bin'), {
      onProgress: () => void before.push(readFileSync(join(dir, 'out.bin'), 'utf8')),
    })
    expect(new Set(before)).toEqual(new Set(['old content']))
    expect(await sha256File(join(dir, 'out.bin'))).toBe(hash)
  })
})

describe('get() into a stream', () => {
  it('writes the bytes in order, counts them, and leaves the stream open', async () => {
    const source = join(remote, 'to-stream.bin')
    const hash = await randomFile(source, 3 * MiB + 7)
    const out = sink()
    const calls: Array<[number, number | undefined]> = []
    const result = await get(sftp, source, out, { onProgress: (n, total) => calls.push([n, total]) })
    expect(result).toEqual({ remotePath: source, bytes: 3 * MiB + 7 })
    expect(sha256(out.data())).toBe(hash)
    expect(calls.at(-1)).toEqual([3 * MiB + 7, 3 * MiB + 7])
    expect(out.writableEnded).toBe(false)
    out.end()
  })

  it('waits for drain when the stream pushes back', async () => {
    const source = join(remote, 'slow-stream.bin')
    const hash = await randomFile(source, MiB)
    const chunks: Buffer[] = []
    let maxQueued = 0
    const slow = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk)
        maxQueued = Math.max(maxQueued, slow.writableLength)
        setTimeout(callback, 1)
      },
    })
    await get(sftp, source, slow)
    expect(sha256(Buffer.concat(chunks))).toBe(hash)
    expect(maxQueued).toBeLessThanOrEqual(16 * 1024 + 64 * 1024) // one read beyond the mark at most
    slow.destroy()
  })

  it('rejects with the signal reason and leaves the stream open', async () => {
    const out = sink()
    const ac = new AbortController()
    const reason = new Error('enough')
    await expect(get(sftp, big, out, { signal: ac.signal, onProgress: (n) => void (n >= MiB && ac.abort(reason)) })).rejects.toBe(reason)
    expect(out.destroyed).toBe(false)
    out.destroy()
  })

  it('rejects when the stream fails', async () => {
    const failing = new Writable({
      write(_chunk, _encoding, callback) {
        callback(new Error('disk on fire'))
      },
    })
    const err = await get(sftp, big, failing).catch((e: unknown) => e)
    expect((err as Error).message).toBe('disk on fire')
  })
})

describe('get() failures leave the destination as it was', () => {
  it('raises SFTPError status 2 for a missing remote file and creates nothing', async () => {
    const dir = await freshDir('missing')
    const err = await get(sftp, join(remote, 'nope.bin'), join(dir, 'nope.bin')).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SFTPError)
    expect((err as SFTPError).status).toBe(SftpStatus.NO_SUCH_FILE)
    expect((err as SFTPError).path).toBe(join(remote, 'nope.bin'))
    expect(await fs.readdir(dir)).toEqual([])
  })

  it('raises SFTPError status 3 for a file the user may not read', async () => {
    const denied = join(remote, 'root-only')
    await fs.mkdir(denied, { mode: 0o700 })
    await fs.chmod(denied, 0o700)
    await fs.writeFile(join(denied, 'secret.txt'), 'secret')
    const unreadable = join(remote, 'unreadable.txt')
    await fs.writeFile(unreadable, 'secret')
    await fs.chmod(unreadable, 0o600) // root's file: the test user may stat it but not open it
    const dir = await freshDir('denied')
    for (const source of [join(denied, 'secret.txt'), unreadable]) {
      const err = await get(sftp, source, join(dir, 'secret.txt')).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(SFTPError)
      expect((err as SFTPError).status).toBe(SftpStatus.PERMISSION_DENIED)
    }
    expect(await fs.readdir(dir)).toEqual([])
  })

  it('raises SFTPError status 4 for a remote directory', async () => {
    const err = await get(sftp, remote, join(local, 'dir-as-file')).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SFTPError)
    expect((err as SFTPError).status).toBe(SftpStatus.FAILURE)
  })

  it('raises SFTPError without status, caused by the fs error, when the local directory cannot be made', async () => {
    const source = join(remote, 'small.txt')
    await fs.writeFile(source, 'small')
    // root ignores permission bits, so the parent is a regular file instead (ENOTDIR).
    await fs.writeFile(join(local, 'plain-file'), '')
    const err = await get(sftp, source, join(local, 'plain-file', 'sub', 'x.txt')).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SFTPError)
    expect((err as SFTPError).status).toBeUndefined()
    expect(((err as SFTPError).cause as NodeJS.ErrnoException).code).toBe('ENOTDIR')
  })

  it('leaves no file when aborted, and an existing destination unchanged', async () => {
    const dir = await freshDir('aborted')
    const reason = new Error('abort')
    const ac = new AbortController()
    await expect(get(sftp, big, join(dir, 'new.bin'), {
      signal: ac.signal,
      onProgress: (n) => void (n >= 16 * MiB && ac.abort(reason)),
    })).rejects.toBe(reason)
    expect(await fs.readdir(dir)).toEqual([])

    await fs.writeFile(join(dir, 'old.bin'), 'precious')
    const ac2 = new AbortController()
    await expect(get(sftp, big, join(dir, 'old.bin'), {
      signal: ac2.signal,
      onProgress: (n) => void (n >= 16 * MiB && ac2.abort(reason)),
    })).rejects.toBe(reason)
    expect(await fs.readdir(dir)).toEqual(['old.bin'])
    expect(await fs.readFile(join(dir, 'old.bin'), 'utf8')).toBe('precious')
    await expect(get(sftp, big, join(dir, 'old.bin'), { signal: AbortSignal.abort(reason) })).rejects.toBe(reason)
    expect(await fs.readdir(dir)).toEqual(['old.bin'])
  })

  it('leaves no file when the transport is destroyed mid-transfer, and an existing destination unchanged', async () => {
    const dir = await freshDir('destroyed')
    await fs.writeFile(join(dir, 'old.bin'), 'precious')
    for (const name of ['new.bin', 'old.bin']) {
      const t2 = await authenticatedTransport(sshd)
      const sftp2 = await t2.openSftpClient()
      let progressed = 0
      const err = await get(sftp2, big, join(dir, name), {
        onProgress: (n) => {
          progressed = n
          if (n >= 32 * MiB) t2.destroy()
        },
      }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ConnectionLostError)
      expect(progressed).toBeLessThan(256 * MiB)
      expect(await fs.readdir(dir)).toEqual(['old.bin'])
      expect(await fs.readFile(join(dir, 'old.bin'), 'utf8')).toBe('precious')
    }
  }, 120_000)

  it('leaves no file when the server connection process is SIGKILLed mid-transfer', async () => {
    await using victim = await startSshd()
    const dir = await freshDir('killed')
    await fs.writeFile(join(dir, 'old.bin'), 'precious')
    for (const name of ['new.bin', 'old.bin']) {
      const t2 = await authenticatedTransport(victim)
      const sftp2 = await t2.openSftpClient()
      const pids = await victim.connectionPids()
      expect(pids.length).toBeGreaterThan(0)
      let killed = false
      const err = await get(sftp2, big, join(dir, name), {
        onProgress: (n) => {
          if (killed || n < 32 * MiB) return
          killed = true
          for (const pid of pids) {
            try {
              process.kill(pid, 'SIGKILL')
            } catch {
              // already gone
            }
          }
        },
      }).catch((e: unknown) => e)
      expect(killed).toBe(true)
      expect(err).toBeInstanceOf(ConnectionLostError)
      expect(await fs.readdir(dir)).toEqual(['old.bin'])
      expect(await fs.readFile(join(dir, 'old.bin'), 'utf8')).toBe('precious')
      await t2.close()
    }
  }, 120_000)
})

describe('get() remote paths', () => {
  it("expands a leading '~/' to the remote home (REALPATH of '.')", async () => {
    const home = (await testUser()).home
    const name = `xfer-tilde-get-${process.pid}.txt`
    await fs.writeFile(join(home, name), 'from home')
    try {
      const dest = join(local, name)
      const result = await get(sftp, `~/${name}`, dest)
      expect(result.remotePath).toBe(join(home, name))
      expect(await fs.readFile(dest, 'utf8')).toBe('from home')
    } finally {
      await fs.rm(join(home, name), { force: true })
    }
  })
})
