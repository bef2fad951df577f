/**
 * put() against the test bed's OpenSSH sshd through a Transport. The remote side is this
 * machine, so the local file system is the oracle: every byte is checked by SHA-256. The SFTP
 * session runs as the test user, so remote files live in a directory that user owns.
 */
import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import * as fs from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { Readable } from 'node:stream'
import { startDropbear, startSshd, testUser, type SshdHandle } from '@x/testbed'
import { ConnectionLostError, SFTPError, SftpStatus, type SftpClient, type SSHError, type Transport } from '@x/transport'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { put } from '../src/transfer/put.js'
import { authenticatedTransport, testUserTempDir } from '../../transport/test/helpers.js'
import { randomFile, sha256, sha256File } from './file-fixtures.js'
import { startSftpWithoutExtensions } from './sftp-without-extensions.js'

const MiB = 1024 * 1024

let sshd: SshdHandle
let t: Transport
let sftp: SftpClient
let local = '' // root-owned, local files only
let remote = '' // the test user's, reached over SFTP
const closeErrors: SSHError[] = []

beforeAll(async () => {
  sshd = await startSshd()
  t = await authenticatedTransport(sshd)
  t.on('close', (err) => void (err && closeErrors.push(err)))
  sftp = await t.openSftpClient()
  local = await fs.mkdtemp(join(tmpdir(), 'transfer-put-local-'))
  remote = await testUserTempDir('transfer-put-remote')
})

afterAll(async () => {
  await sftp?.close()
  await t?.close()
  await sshd?.close()
  await Promise.all([local, remote].filter((d) => d !== '').map((d) => fs.rm(d, { recursive: true, force: true })))
  await new Promise((resolve) => setImmediate(resolve))
  expect(closeErrors).toEqual([])
})

describe('put() from a local path', () => {
  it.each([0, 1, 32767, 32769])('uploads %i bytes byte-exact and reports progress up to the total', async (size) => {
    const source = join(local, `exact-${size}.bin`)
    const hash = await randomFile(source, size)
    const calls: Array<[number, number | undefined]> = []
    const target = join(remote, `exact-${size}.bin`)
    const result = await put(sftp, source, target, { onProgress: (n, total) => calls.push([n, total]) })
    expect(result).toEqual({ localPath: source, remotePath: target, bytes: size })
    expect(await sha256File(target)).toBe(hash)
    expect(calls.at(-1)).toEqual([size, size])
    for (let i = 1; i < calls.length; i++) expect(calls[i]![0]).toBeGreaterThanOrEqual(calls[i - 1]![0])
  })

  it('uploads 256 MiB byte-exact', async () => {
    const source = join(local, 'big.bin')
    const hash = await randomFile(source, 256 * MiB)
    const target = join(remote, 'big.bin')
    let reports = 0
    const result = await put(sftp, source, target, { onProgress: () => void reports++ })
    expect(result.bytes).toBe(256 * MiB)
    expect(reports).toBeGreaterThan(1)
    expect(await sha256File(target)).toBe(hash)
    await Promise.all([fs.rm(source), fs.rm(target)])
  }, 180_000)

  it('gives the remote file the local permission bits by default (Fabric preserve_mode)', async () => {
    const source = join(local, 'script.sh')
    await fs.writeFile(source, '#!/bin/sh\necho hi\n')
    await fs.chmod(source, 0o751)
    await put(sftp, source, join(remote, 'script.sh'))
    expect((await fs.stat(join(remote, 'script.sh'))).mode & 0o7777).toBe(0o751)
  })

  it('sets mode exactly when given, over preserveMode', async () => {
    const source = join(local, 'moded.txt')
    await fs.writeFile(source, 'x')
    await fs.chmod(source, 0o751)
    await put(sftp, source, join(remote, 'moded.txt'), { mode: 0o604 })
    expect((await fs.stat(join(remote, 'moded.txt'))).mode & 0o7777).toBe(0o604)
  })

  it('leaves the mode of an existing remote file alone with preserveMode: false', async () => {
    const source = join(local, 'keep.txt')
    await fs.writeFile(source, 'new content')
    await fs.chmod(source, 0o755)
    const target = join(remote, 'keep.txt')
    await sftp.writeFile(target, 'old', { mode: 0o600 })
    await put(sftp, source, target, { preserveMode: false })
    const info = await fs.stat(target)
    expect(info.mode & 0o7777).toBe(0o600)
    expect(await fs.readFile(target, 'utf8')).toBe('new content')
  })

  it('puts into an existing remote directory, with or without a trailing slash, under the local base name', async () => {
    const source = join(local, 'into-dir.txt')
    await fs.writeFile(source, 'dir')
    const dir = join(remote, 'dest')
    await sftp.mkdir(dir)
    expect((await put(sftp, source, dir)).remotePath).toBe(join(dir, 'into-dir.txt'))
    expect(await fs.readFile(join(dir, 'into-dir.txt'), 'utf8')).toBe('dir')
    await fs.writeFile(source, 'slash')
    expect((await put(sftp, source, `${dir}/`)).remotePath).toBe(join(dir, 'into-dir.txt'))
    expect(await fs.readFile(join(dir, 'into-dir.txt'), 'utf8')).toBe('slash')
  })

  it('names a missing local file in an SFTPError without status whose cause is the fs error', async () => {
    const err = await put(sftp, join(local, 'nope.txt'), join(remote, 'nope.txt')).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SFTPError)
    expect((err as SFTPError).code).toBe('ERR_SSH_SFTP')
    expect((err as SFTPError).status).toBeUndefined()
    expect(((err as SFTPError).cause as NodeJS.ErrnoException).code).toBe('ENOENT')
    expect(await sftp.exists(join(remote, 'nope.txt'))).toBe(false)
  })

  it('refuses a local directory as the source with EISDIR', async () => {
    const err = await put(sftp, local, join(remote, 'a-dir')).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SFTPError)
    expect(((err as SFTPError).cause as NodeJS.ErrnoException).code).toBe('EISDIR')
  })
})

describe('put() from a stream or a Buffer', () => {
  it('uploads a stream byte-exact, counting every byte (total unknown)', async () => {
    const chunks = Array.from({ length: 40 }, (_, i) => randomBytes(1000 + i * 997))
    const size = chunks.reduce((n, c) => n + c.length, 0)
    const calls: Array<[number, number | undefined]> = []
    const target = join(remote, 'from-stream.bin')
    const result = await put(sftp, Readable.from(chunks), target, { onProgress: (n, total) => calls.push([n, total]) })
    expect(result).toEqual({ remotePath: target, bytes: size })
    expect(await sha256File(target)).toBe(sha256(Buffer.concat(chunks)))
    expect(calls.at(-1)).toEqual([size, undefined])
  })

  it('uploads a file stream into a remote directory under the stream path base name', async () => {
    const source = join(local, 'streamed-name.txt')
    await fs.writeFile(source, 'named stream')
    const result = await put(sftp, createReadStream(source), `${remote}/`)
    expect(result.remotePath).toBe(join(remote, 'streamed-name.txt'))
    expect(await fs.readFile(join(remote, 'streamed-name.txt'), 'utf8')).toBe('named stream')
  })

  it.each([0, 1, 32767, 32769, 3 * MiB + 5])('uploads a %i-byte Buffer byte-exact with progress up to its size', async (size) => {
    const data = randomBytes(size)
    const calls: Array<[number, number | undefined]> = []
    const target = join(remote, `buffer-${size}.bin`)
    const result = await put(sftp, data, target, { mode: 0o640, onProgress: (n, total) => calls.push([n, total]) })
    expect(result).toEqual({ remotePath: target, bytes: size })
    expect(sha256(await fs.readFile(target))).toBe(sha256(data))
    expect(calls.at(-1)).toEqual([size, size])
    expect((await fs.stat(target)).mode & 0o7777).toBe(0o640)
  })

  it('uploads a Uint8Array view without copying bytes from outside the view', async () => {
    const backing = randomBytes(100)
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 10, 50)
    const target = join(remote, 'view.bin')
    await put(sftp, view, target)
    expect(sha256(await fs.readFile(target))).toBe(sha256(backing.subarray(10, 60)))
  })

  it('refuses a Buffer aimed at a directory with a TypeError (it has no file name)', async () => {
    await expect(put(sftp, Buffer.from('x'), remote)).rejects.toBeInstanceOf(TypeError)
    await expect(put(sftp, Readable.from([Buffer.from('x')]), `${remote}/`)).rejects.toBeInstanceOf(TypeError)
  })
})

describe('put() failures', () => {
  it('raises SFTPError status 2 when the remote directory is missing', async () => {
    const target = join(remote, 'missing-dir', 'file.txt')
    for (const source of [Buffer.from('x'), await writeTemp('missing.txt')]) {
      const err = await put(sftp, source, target).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(SFTPError)
      expect((err as SFTPError).status).toBe(SftpStatus.NO_SUCH_FILE)
      expect((err as SFTPError).path).toBe(target)
    }
  })

  it('raises SFTPError status 3 in a directory the user may not enter', async () => {
    const denied = join(remote, 'root-only')
    await fs.mkdir(denied, { mode: 0o700 }) // created by root: the test user cannot enter it
    await fs.chmod(denied, 0o700)
    const target = join(denied, 'file.txt')
    for (const source of [Buffer.from('x'), await writeTemp('denied.txt')]) {
      const err = await put(sftp, source, target).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(SFTPError)
      expect((err as SFTPError).status).toBe(SftpStatus.PERMISSION_DENIED)
    }
    expect(await fs.readdir(denied)).toEqual([])
  })

  it('rejects with the signal reason when aborted mid-upload', async () => {
    const source = join(local, 'abort.bin')
    await randomFile(source, 16 * MiB)
    const ac = new AbortController()
    const reason = new Error('stop')
    const aborting = put(sftp, source, join(remote, 'abort.bin'), {
      signal: ac.signal,
      onProgress: (n) => void (n >= 2 * MiB && ac.abort(reason)),
    })
    await expect(aborting).rejects.toBe(reason)
    await expect(put(sftp, source, join(remote, 'abort2.bin'), { signal: AbortSignal.abort(reason) })).rejects.toBe(reason)
    expect(await sftp.exists(join(remote, 'abort2.bin'))).toBe(false)

    const streamAc = new AbortController()
    const streaming = put(sftp, Readable.from((function* () {
      for (let i = 0; i < 1000; i++) yield randomBytes(64 * 1024)
    })()), join(remote, 'abort-stream.bin'), {
      signal: streamAc.signal,
      onProgress: (n) => void (n >= MiB && streamAc.abort(reason)),
    })
    await expect(streaming).rejects.toBe(reason)
    expect(sftp.isOpen).toBe(true) // the client is still usable
    expect((await put(sftp, Buffer.from('after'), join(remote, 'after.txt'))).bytes).toBe(5)
  })

  it('raises ConnectionLostError on a closed SFTP client', async () => {
    const t2 = await authenticatedTransport(sshd)
    const sftp2 = await t2.openSftpClient()
    await t2.close()
    const err = await put(sftp2, Buffer.from('x'), join(remote, 'closed.txt')).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectionLostError)
  })

  it('rejects bad arguments with TypeError / RangeError before any I/O', async () => {
    await expect(put(sftp, Buffer.from('x'), '')).rejects.toBeInstanceOf(TypeError)
    await expect(put(sftp, 42 as never, join(remote, 'x'))).rejects.toBeInstanceOf(TypeError)
    await expect(put(sftp, Buffer.from('x'), join(remote, 'x'), { mode: 0o10000 })).rejects.toBeInstanceOf(RangeError)
    await expect(put(sftp, Buffer.from('x'), join(remote, 'x'), { onProgress: 1 as never })).rejects.toBeInstanceOf(TypeError)
  })
})

async function writeTemp(name: string): Promise<string> {
  const path = join(local, name)
  await fs.writeFile(path, basename(path))
  return path
}

describe('put() is all-or-nothing', () => {
  const leftovers = async (dir: string, name: string): Promise<string[]> => (await fs.readdir(dir)).filter((f) => f.startsWith(`.${name}.`))

  it('leaves no file under the final name and no temporary file when a 64 MiB upload is aborted', async () => {
    const source = join(local, 'atomic-abort.bin')
    await randomFile(source, 64 * MiB)
    const target = join(remote, 'atomic-abort.bin')
    const ac = new AbortController()
    const reason = new Error('stop')
    await expect(put(sftp, source, target, { signal: ac.signal, onProgress: (n) => void (n >= 8 * MiB && ac.abort(reason)) })).rejects.toBe(reason)
    expect(await sftp.exists(target)).toBe(false)
    expect(await leftovers(remote, 'atomic-abort.bin')).toEqual([])
    await fs.rm(source)
  }, 60_000)

  it('keeps the old content of an existing file when an upload over it is aborted, for a path, a stream and a Buffer', async () => {
    const target = join(remote, 'atomic-keep.txt')
    await fs.writeFile(target, 'old content')
    await fs.chown(target, (await fs.stat(remote)).uid, (await fs.stat(remote)).gid)
    const source = join(local, 'atomic-keep.bin')
    await randomFile(source, 16 * MiB)
    const sources = [
      () => source,
      () => Readable.from((function* () {
        for (let i = 0; i < 256; i++) yield randomBytes(64 * 1024)
      })()),
      () => randomBytes(16 * MiB),
    ]
    for (const make of sources) {
      const ac = new AbortController()
      const reason = new Error('stop')
      await expect(put(sftp, make(), target, { signal: ac.signal, onProgress: (n) => void (n >= 2 * MiB && ac.abort(reason)) })).rejects.toBe(reason)
      expect(await sha256File(target)).toBe(sha256(Buffer.from('old content')))
      expect(await leftovers(remote, 'atomic-keep.txt')).toEqual([])
    }
    await fs.rm(source)
  }, 60_000)

  it('replaces an existing file by rename: a reader holding the old file still sees the old bytes', async () => {
    const target = join(remote, 'atomic-replace.txt')
    await sftp.writeFile(target, 'old content')
    const before = await fs.stat(target)
    const reader = await fs.open(target, 'r')
    try {
      await put(sftp, Buffer.from('new content'), target)
      expect((await reader.readFile()).toString('utf8')).toBe('old content')
    } finally {
      await reader.close()
    }
    expect(await fs.readFile(target, 'utf8')).toBe('new content')
    expect((await fs.stat(target)).ino).not.toBe(before.ino)
    expect(await leftovers(remote, 'atomic-replace.txt')).toEqual([])
  })

  it('gives a new file the mode a plain SFTP create gives it when no mode is asked for', async () => {
    const plain = join(remote, 'plain-created.txt')
    await sftp.writeFile(plain, 'x')
    const target = join(remote, 'atomic-default-mode.txt')
    await put(sftp, Buffer.from('x'), target)
    expect((await fs.stat(target)).mode & 0o7777).toBe((await fs.stat(plain)).mode & 0o7777)
  })
})

describe('put() on a server without posix-rename@openssh.com', () => {
  it('replaces an existing file by plain rename after removing it, and renames a new file into place', async () => {
    const dir = await fs.mkdtemp(join(tmpdir(), 'transfer-put-bare-'))
    const bare = await startSftpWithoutExtensions(dir)
    try {
      const client = await bare.transport.openSftpClient()
      expect(client.hasExtension('posix-rename@openssh.com')).toBe(false)
      const target = join(dir, 'replaced.txt')
      await fs.writeFile(target, 'old content', { mode: 0o640 })
      const before = await fs.stat(target)
      await put(client, Buffer.from('new content'), target)
      expect(await fs.readFile(target, 'utf8')).toBe('new content')
      expect((await fs.stat(target)).ino).not.toBe(before.ino)
      expect((await fs.stat(target)).mode & 0o7777).toBe(0o640)
      await put(client, Buffer.from('fresh'), join(dir, 'new.txt'), { mode: 0o604 })
      expect(await fs.readFile(join(dir, 'new.txt'), 'utf8')).toBe('fresh')
      expect((await fs.stat(join(dir, 'new.txt'))).mode & 0o7777).toBe(0o604)
      expect((await fs.readdir(dir)).sort()).toEqual(['new.txt', 'replaced.txt'])
      await client.close()
    } finally {
      await bare.close()
      await fs.rm(dir, { recursive: true, force: true })
    }
  })
})

describe('put() target paths', () => {
  it("expands a leading '~/' to the remote home (REALPATH of '.') and '~/' alone to the home directory", async () => {
    const name = `xfer-tilde-${randomBytes(4).toString('hex')}.txt`
    const home = await sftp.realpath('.')
    expect(home).toBe((await testUser()).home)
    try {
      const result = await put(sftp, Buffer.from('at home'), `~/${name}`)
      expect(result.remotePath).toBe(join(home, name))
      expect(await fs.readFile(join(home, name), 'utf8')).toBe('at home')
      const source = await writeTemp(name)
      expect((await put(sftp, source, '~/')).remotePath).toBe(join(home, name))
    } finally {
      await fs.rm(join(home, name), { force: true })
    }
  })

  it('creates missing parent directories with mkdirs: true, for a file path and a directory path', async () => {
    const target = join(remote, 'made', 'deep', 'er', 'file.txt')
    await put(sftp, Buffer.from('deep'), target, { mkdirs: true })
    expect(await fs.readFile(target, 'utf8')).toBe('deep')
    const source = await writeTemp('into-new-dir.txt')
    expect((await put(sftp, source, join(remote, 'made', 'fresh') + '/', { mkdirs: true })).remotePath).toBe(join(remote, 'made', 'fresh', 'into-new-dir.txt'))
    expect((await fs.stat(join(remote, 'made', 'fresh'))).isDirectory()).toBe(true)
    await expect(put(sftp, Buffer.from('x'), target, { mkdirs: 'yes' as never })).rejects.toBeInstanceOf(TypeError)
  })

  it('writes in place with atomic: false: the inode stays and an abort leaves a partial file (as sftp put)', async () => {
    const target = join(remote, 'in-place.bin')
    await sftp.writeFile(target, 'old content')
    const before = await fs.stat(target)
    await put(sftp, Buffer.from('new content'), target, { atomic: false })
    expect((await fs.stat(target)).ino).toBe(before.ino)
    expect(await fs.readFile(target, 'utf8')).toBe('new content')
    const source = join(local, 'in-place.bin')
    await randomFile(source, 16 * MiB)
    const ac = new AbortController()
    await expect(put(sftp, source, target, { atomic: false, signal: ac.signal, onProgress: (n) => void (n >= 2 * MiB && ac.abort(new Error('stop'))) })).rejects.toThrow()
    const size = (await fs.stat(target)).size
    expect(size).toBeGreaterThan(0)
    expect(size).toBeLessThan(16 * MiB)
    await expect(put(sftp, Buffer.from('x'), target, { atomic: 1 as never })).rejects.toBeInstanceOf(TypeError)
  })

  it("reports a server failure on the temporary file as one of the target: path is the target, not '.name.<random>.part'", async () => {
    const denied = join(remote, 'read-only-dir')
    await fs.mkdir(denied)
    const { uid, gid } = await fs.stat(remote)
    await fs.chown(denied, uid, gid)
    const target = join(denied, 'file.txt')
    await fs.writeFile(target, 'old')
    await fs.chown(target, uid, gid)
    await fs.chmod(denied, 0o555) // the test user may write the file but not create a name beside it
    const err = await put(sftp, Buffer.from('new'), target).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SFTPError)
    expect((err as SFTPError).status).toBe(SftpStatus.PERMISSION_DENIED)
    expect((err as SFTPError).path).toBe(target)
    expect(await fs.readFile(target, 'utf8')).toBe('old')
    // atomic: false is the way to write such a file.
    await put(sftp, Buffer.from('new'), target, { atomic: false })
    expect(await fs.readFile(target, 'utf8')).toBe('new')
  })
})

describe('put() on Dropbear (which runs OpenSSH sftp-server)', () => {
  it('advertises posix-rename@openssh.com and replaces an existing file atomically', async () => {
    await using dropbear = await startDropbear()
    const dt = await authenticatedTransport(dropbear)
    try {
      const client = await dt.openSftpClient()
      expect(client.hasExtension('posix-rename@openssh.com')).toBe(true)
      const target = join(remote, 'dropbear.txt')
      await sftp.writeFile(target, 'old content')
      const before = await fs.stat(target)
      await put(client, Buffer.from('new content'), target)
      expect(await fs.readFile(target, 'utf8')).toBe('new content')
      expect((await fs.stat(target)).ino).not.toBe(before.ino)
      expect((await fs.readdir(remote)).filter((f) => f.startsWith('.dropbear.txt.'))).toEqual([])
      await client.close()
    } finally {
      await dt.close()
    }
  })
})
