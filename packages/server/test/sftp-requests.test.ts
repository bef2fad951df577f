import { lstat, mkdir, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SftpServer } from '../src/index.js'
import { AttrFlag, OpenFlag, Packet, SftpStatus } from '../src/sftp/constants.js'
import type { Reply } from './helpers/wire-client.js'
import { makeTree } from './helpers/tree.js'
import type { Tree } from './helpers/tree.js'
import { WireClient } from './helpers/wire-client.js'

const { READ, WRITE, CREAT, TRUNC, EXCL, APPEND } = OpenFlag
const status = WireClient.status

function nameOf(reply: Reply): string {
  expect(reply.type).toBe(Packet.NAME)
  expect(reply.r.uint32()).toBe(1)
  return reply.r.string()
}

async function handleOf(c: WireClient, path: string, pflags: number): Promise<Buffer> {
  const h = await c.open(path, pflags)
  if (!Buffer.isBuffer(h)) throw new Error(`open ${path}: status ${h}`)
  return h
}

describe('fsSftp requests and extensions', () => {
  let tree: Tree
  let c: WireClient
  let ro: WireClient

  beforeAll(async () => {
    tree = await makeTree()
    await mkdir(join(tree.root, 'many'))
    await Promise.all(Array.from({ length: 250 }, (_, i) => writeFile(join(tree.root, 'many', `f${i}`), String(i))))
    await writeFile(join(tree.root, 'src.txt'), '0123456789')
    await symlink('src.txt', join(tree.root, 'link'))
    c = await WireClient.connect(new SftpServer({ root: tree.root }))
    await c.init()
    ro = await WireClient.connect(new SftpServer({ root: tree.root, readOnly: true }))
    await ro.init()
  })

  afterAll(async () => {
    await c.end()
    await ro.end()
    await tree.assertCanaryIntact()
    await tree.remove()
  })

  it('lists a directory of 250 entries in batches of at most 100, then EOF', async () => {
    const dir = await c.request(Packet.OPENDIR, (w) => w.string('/many'))
    const handle = Buffer.from(dir.r.bytes())
    const names = new Set<string>()
    for (;;) {
      const list = await c.request(Packet.READDIR, (w) => w.string(handle))
      if (list.type === Packet.STATUS) {
        expect(list.r.uint32()).toBe(SftpStatus.EOF)
        break
      }
      const n = list.r.uint32()
      expect(n).toBeLessThanOrEqual(100)
      for (let i = 0; i < n; i++) {
        const name = list.r.string()
        expect(list.r.string()).toMatch(new RegExp(`^-rw.* ${name}$`))
        list.r.uint32()
        list.r.uint64()
        for (let j = 0; j < 5; j++) list.r.uint32()
        names.add(name)
      }
    }
    expect(names.size).toBe(250)
    expect(status(await c.request(Packet.CLOSE, (w) => w.string(handle)))).toBe(SftpStatus.OK)
  })

  it('expands ~ with expand-path@openssh.com and answers home-directory with /', async () => {
    expect(nameOf(await c.extended('expand-path@openssh.com', (w) => w.string('~')))).toBe('/')
    expect(nameOf(await c.extended('expand-path@openssh.com', (w) => w.string('~/many/../src.txt')))).toBe('/src.txt')
    expect(nameOf(await c.extended('expand-path@openssh.com', (w) => w.string('~someone/many')))).toBe('/many')
    expect(nameOf(await c.extended('home-directory', (w) => w.string('anyone')))).toBe('/')
    expect(nameOf(await c.request(Packet.REALPATH, (w) => w.string('link')))).toBe('/src.txt')
  })

  it('fails a v3 RENAME onto an existing name and replaces it with posix-rename@openssh.com', async () => {
    await writeFile(join(tree.root, 'a.txt'), 'a')
    await writeFile(join(tree.root, 'b.txt'), 'b')
    expect(status(await c.request(Packet.RENAME, (w) => w.string('a.txt').string('b.txt')))).toBe(SftpStatus.FAILURE)
    expect(status(await c.extended('posix-rename@openssh.com', (w) => w.string('a.txt').string('b.txt')))).toBe(SftpStatus.OK)
    expect(await readFile(join(tree.root, 'b.txt'), 'utf8')).toBe('a')
    expect(status(await c.request(Packet.RENAME, (w) => w.string('b.txt').string('c.txt')))).toBe(SftpStatus.OK)
  })

  it('makes hard links, copies with copy-data, fsyncs, and reports fstatvfs and statvfs', async () => {
    expect(status(await c.extended('hardlink@openssh.com', (w) => w.string('src.txt').string('hard.txt')))).toBe(SftpStatus.OK)
    expect((await stat(join(tree.root, 'hard.txt'))).ino).toBe((await stat(join(tree.root, 'src.txt'))).ino)
    const from = await handleOf(c, 'src.txt', READ)
    const to = await handleOf(c, 'copy.txt', WRITE | CREAT | TRUNC)
    const copy = await c.extended('copy-data', (w) => w.string(from).uint64(2).uint64(5).string(to).uint64(0))
    expect(status(copy)).toBe(SftpStatus.OK)
    expect(status(await c.extended('fsync@openssh.com', (w) => w.string(to)))).toBe(SftpStatus.OK)
    const fsv = await c.extended('fstatvfs@openssh.com', (w) => w.string(to))
    expect(fsv.type).toBe(Packet.EXTENDED_REPLY)
    expect(fsv.r.uint64()).toBeGreaterThan(0)
    for (const h of [from, to]) expect(status(await c.request(Packet.CLOSE, (w) => w.string(h)))).toBe(SftpStatus.OK)
    expect(await readFile(join(tree.root, 'copy.txt'), 'utf8')).toBe('23456')
    const sv = await c.extended('statvfs@openssh.com', (w) => w.string('/'))
    const fields = Array.from({ length: 11 }, () => sv.r.uint64())
    expect(fields[2]).toBeGreaterThan(0) // blocks
    expect(fields[9]! & 1).toBe(0) // not ST_RDONLY
  })

  it('appends with APPEND, refuses EXCL on an existing file, and sets size and times', async () => {
    const app = await handleOf(c, 'src.txt', WRITE | APPEND)
    expect(status(await c.request(Packet.WRITE, (w) => w.string(app).uint64(0).string('AB')))).toBe(SftpStatus.OK)
    expect(status(await c.request(Packet.CLOSE, (w) => w.string(app)))).toBe(SftpStatus.OK)
    expect(await readFile(join(tree.root, 'src.txt'), 'utf8')).toBe('0123456789AB')
    expect(await c.open('src.txt', WRITE | CREAT | EXCL)).toBe(SftpStatus.FAILURE)
    const set = await c.request(Packet.SETSTAT, (w) =>
      w.string('link').uint32(AttrFlag.SIZE | AttrFlag.ACMODTIME).uint64(4).uint32(1_000_000_000).uint32(1_100_000_000))
    expect(status(set)).toBe(SftpStatus.OK)
    const st = await stat(join(tree.root, 'src.txt'))
    expect([st.size, st.mtimeMs]).toEqual([4, 1_100_000_000_000])
    const h = await handleOf(c, 'src.txt', READ | WRITE)
    const fset = await c.request(Packet.FSETSTAT, (w) => w.string(h).uint32(AttrFlag.PERMISSIONS).uint32(0o640))
    expect(status(fset)).toBe(SftpStatus.OK)
    const fst = await c.request(Packet.FSTAT, (w) => w.string(h))
    expect(fst.type).toBe(Packet.ATTRS)
    fst.r.uint32()
    expect(fst.r.uint64()).toBe(4)
    fst.r.uint32()
    fst.r.uint32()
    expect(fst.r.uint32() & 0o7777).toBe(0o640)
    expect(status(await c.request(Packet.CLOSE, (w) => w.string(h)))).toBe(SftpStatus.OK)
  })

  it('sets times on a symlink itself with lsetstat@openssh.com and refuses its mode', async () => {
    const times = await c.extended('lsetstat@openssh.com', (w) => w.string('link').uint32(AttrFlag.ACMODTIME).uint32(1_000_000_000).uint32(1_000_000_000))
    expect(status(times)).toBe(SftpStatus.OK)
    expect((await lstat(join(tree.root, 'link'))).mtimeMs).toBe(1_000_000_000_000)
    expect((await stat(join(tree.root, 'src.txt'))).mtimeMs).toBe(1_100_000_000_000)
    const mode = await c.extended('lsetstat@openssh.com', (w) => w.string('link').uint32(AttrFlag.PERMISSIONS).uint32(0o777))
    expect(status(mode)).toBe(SftpStatus.OP_UNSUPPORTED)
  })

  it('answers PERMISSION_DENIED to every write on a read-only server, and serves reads', async () => {
    const before = await readFile(join(tree.root, 'src.txt'))
    expect(await ro.open('src.txt', WRITE)).toBe(SftpStatus.PERMISSION_DENIED)
    expect(await ro.open('new.txt', WRITE | CREAT)).toBe(SftpStatus.PERMISSION_DENIED)
    expect(await ro.open('src.txt', READ | TRUNC)).toBe(SftpStatus.PERMISSION_DENIED)
    const h = await handleOf(ro, 'src.txt', READ)
    const writes: Promise<Reply>[] = [
      ro.request(Packet.WRITE, (w) => w.string(h).uint64(0).string('x')),
      ro.request(Packet.FSETSTAT, (w) => w.string(h).uint32(AttrFlag.PERMISSIONS).uint32(0o600)),
      ro.request(Packet.SETSTAT, (w) => w.string('src.txt').uint32(AttrFlag.PERMISSIONS).uint32(0o600)),
      ro.request(Packet.REMOVE, (w) => w.string('src.txt')),
      ro.request(Packet.MKDIR, (w) => w.string('d').uint32(0)),
      ro.request(Packet.RMDIR, (w) => w.string('many')),
      ro.request(Packet.RENAME, (w) => w.string('src.txt').string('x')),
      ro.request(Packet.SYMLINK, (w) => w.string('src.txt').string('x')),
      ro.extended('posix-rename@openssh.com', (w) => w.string('src.txt').string('x')),
      ro.extended('hardlink@openssh.com', (w) => w.string('src.txt').string('x')),
      ro.extended('lsetstat@openssh.com', (w) => w.string('src.txt').uint32(0)),
      ro.extended('copy-data', (w) => w.string(h).uint64(0).uint64(1).string(h).uint64(5)),
    ]
    for (const reply of await Promise.all(writes)) expect(status(reply)).toBe(SftpStatus.PERMISSION_DENIED)
    const data = await ro.request(Packet.READ, (w) => w.string(h).uint64(0).uint32(100))
    expect(data.r.bytes().equals(before)).toBe(true)
    expect(status(await ro.request(Packet.CLOSE, (w) => w.string(h)))).toBe(SftpStatus.OK)
    const sv = await ro.extended('statvfs@openssh.com', (w) => w.string('/'))
    const fields = Array.from({ length: 11 }, () => sv.r.uint64())
    expect(fields[9]! & 1).toBe(1) // ST_RDONLY
    expect(await readFile(join(tree.root, 'src.txt'))).toEqual(before)
    expect(await readlink(join(tree.root, 'link'))).toBe('src.txt')
  })
})
