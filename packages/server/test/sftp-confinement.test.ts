import { lstat, mkdir, readlink, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SftpServer } from '../src/index.js'
import { OpenFlag, Packet, SftpStatus } from '../src/sftp/constants.js'
import { makeTree } from './helpers/tree.js'
import type { Tree } from './helpers/tree.js'
import { WireClient } from './helpers/wire-client.js'

const { READ, WRITE, CREAT, TRUNC } = OpenFlag
const status = WireClient.status

describe('fsSftp confinement to root', () => {
  let tree: Tree
  let c: WireClient

  beforeAll(async () => {
    tree = await makeTree()
    await writeFile(join(tree.root, 'in.txt'), 'inside\n')
    await mkdir(join(tree.root, 'sub'))
    await symlink(tree.canary, join(tree.root, 'planted-abs'))
    await symlink('../outside/canary.txt', join(tree.root, 'planted-rel'))
    await symlink(tree.outside, join(tree.root, 'planted-dir'))
    await symlink('loop-b', join(tree.root, 'loop-a'))
    await symlink('loop-a', join(tree.root, 'loop-b'))
    c = await WireClient.connect(new SftpServer({ root: tree.root }))
    await c.init()
  })

  afterAll(async () => {
    await c.end()
    await tree.assertCanaryIntact()
    await tree.remove()
  })

  const realpath = async (path: string): Promise<string> => {
    const reply = await c.request(Packet.REALPATH, (w) => w.string(path))
    expect(reply.type).toBe(Packet.NAME)
    reply.r.uint32()
    return reply.r.string()
  }

  it('presents root as / (REALPATH of ., .., and climbing paths)', async () => {
    expect(await realpath('.')).toBe('/')
    expect(await realpath('..')).toBe('/')
    expect(await realpath('/../../..')).toBe('/')
    expect(await realpath('sub/../../../sub')).toBe('/sub')
  })

  it('refuses to read outside root through .., absolute host paths and planted symlinks', async () => {
    const attempts = [
      '../outside/canary.txt',
      '/../outside/canary.txt',
      'sub/../../outside/canary.txt',
      tree.canary,
      'planted-abs',
      'planted-rel',
      'planted-dir/canary.txt',
      '/planted-dir/../outside/canary.txt',
    ]
    for (const path of attempts) expect([path, await c.open(path, READ)]).toEqual([path, SftpStatus.NO_SUCH_FILE])
  })

  it('refuses to create or truncate outside root through the same paths', async () => {
    for (const path of ['../outside/new.txt', join(tree.outside, 'new.txt'), 'planted-dir/new.txt', 'planted-abs', 'planted-rel']) {
      expect([path, await c.open(path, WRITE | CREAT | TRUNC)]).toEqual([path, SftpStatus.NO_SUCH_FILE])
    }
    const mk = await c.request(Packet.MKDIR, (w) => w.string('planted-dir/newdir').uint32(0))
    expect(status(mk)).toBe(SftpStatus.NO_SUCH_FILE)
  })

  it('refuses stat, setstat, opendir and rename through planted symlinks', async () => {
    expect(status(await c.request(Packet.STAT, (w) => w.string('planted-abs')))).toBe(SftpStatus.NO_SUCH_FILE)
    const chmod = await c.request(Packet.SETSTAT, (w) => w.string('planted-rel').uint32(0x4).uint32(0o777))
    expect(status(chmod)).toBe(SftpStatus.NO_SUCH_FILE)
    expect(status(await c.request(Packet.OPENDIR, (w) => w.string('planted-dir')))).toBe(SftpStatus.NO_SUCH_FILE)
    const mv = await c.request(Packet.RENAME, (w) => w.string('planted-dir/canary.txt').string('stolen.txt'))
    expect(status(mv)).toBe(SftpStatus.NO_SUCH_FILE)
    const mvOut = await c.request(Packet.RENAME, (w) => w.string('in.txt').string('../outside/in.txt'))
    expect(status(mvOut)).toBe(SftpStatus.NO_SUCH_FILE)
    const hl = await c.extended('hardlink@openssh.com', (w) => w.string('planted-dir/canary.txt').string('hl.txt'))
    expect(status(hl)).toBe(SftpStatus.NO_SUCH_FILE)
  })

  it('lists root, not its parent, for OPENDIR ..', async () => {
    const dir = await c.request(Packet.OPENDIR, (w) => w.string('..'))
    expect(dir.type).toBe(Packet.HANDLE)
    const handle = Buffer.from(dir.r.bytes())
    const list = await c.request(Packet.READDIR, (w) => w.string(handle))
    expect(list.type).toBe(Packet.NAME)
    const names: string[] = []
    for (let n = list.r.uint32(); n > 0; n--) {
      names.push(list.r.string())
      list.r.string()
      const flags = list.r.uint32()
      expect(flags).toBe(0xf)
      for (let i = 0; i < 7; i++) list.r.uint32()
    }
    expect(names).toContain('in.txt')
    expect(names).not.toContain('outside')
    expect(status(await c.request(Packet.CLOSE, (w) => w.string(handle)))).toBe(SftpStatus.OK)
  })

  it('refuses to create a symlink whose target is absolute or climbs out of root (target first, as OpenSSH)', async () => {
    for (const [target, at] of [
      ['../outside/canary.txt', 'made-1'],
      [tree.canary, 'made-2'],
      ['/in.txt', 'made-3'],
      ['../../outside', 'sub/made-4'],
      ['sub/../../outside', 'made-5'],
    ] as const) {
      const reply = await c.request(Packet.SYMLINK, (w) => w.string(target).string(at))
      expect([target, status(reply)]).toEqual([target, SftpStatus.PERMISSION_DENIED])
    }
    for (const name of ['made-1', 'made-2', 'made-3', 'sub/made-4', 'made-5']) {
      await expect(lstat(join(tree.root, name))).rejects.toMatchObject({ code: 'ENOENT' })
    }
  })

  it('creates a symlink inside root, target first, and follows it inside root', async () => {
    const ok = await c.request(Packet.SYMLINK, (w) => w.string('../in.txt').string('sub/link'))
    expect(status(ok)).toBe(SftpStatus.OK)
    expect(await readlink(join(tree.root, 'sub/link'))).toBe('../in.txt')
    const handle = await c.open('sub/link', READ)
    expect(Buffer.isBuffer(handle)).toBe(true)
    const data = await c.request(Packet.READ, (w) => w.string(handle as Buffer).uint64(0).uint32(100))
    expect(data.type).toBe(Packet.DATA)
    expect(data.r.string()).toBe('inside\n')
    expect(status(await c.request(Packet.CLOSE, (w) => w.string(handle as Buffer)))).toBe(SftpStatus.OK)
  })

  it('answers LSTAT and READLINK of a planted symlink about the link itself', async () => {
    const st = await c.request(Packet.LSTAT, (w) => w.string('planted-abs'))
    expect(st.type).toBe(Packet.ATTRS)
    st.r.uint32()
    st.r.uint64()
    st.r.uint32()
    st.r.uint32()
    expect(st.r.uint32() & 0o170000).toBe(0o120000)
    const rl = await c.request(Packet.READLINK, (w) => w.string('planted-rel'))
    expect(rl.type).toBe(Packet.NAME)
  })

  it('fails a symlink loop and a path holding NUL', async () => {
    expect(status(await c.request(Packet.STAT, (w) => w.string('loop-a')))).toBe(SftpStatus.FAILURE)
    expect(status(await c.request(Packet.STAT, (w) => w.string('in.txt\0../x')))).toBe(SftpStatus.BAD_MESSAGE)
  })

  it('refuses to remove, rename or replace root itself', async () => {
    expect(status(await c.request(Packet.RMDIR, (w) => w.string('/')))).toBe(SftpStatus.PERMISSION_DENIED)
    expect(status(await c.request(Packet.REMOVE, (w) => w.string('sub/..')))).toBe(SftpStatus.PERMISSION_DENIED)
    expect(status(await c.extended('posix-rename@openssh.com', (w) => w.string('sub').string('..')))).toBe(SftpStatus.PERMISSION_DENIED)
  })

  it('removes a planted symlink itself, never its target', async () => {
    expect(status(await c.request(Packet.REMOVE, (w) => w.string('planted-abs')))).toBe(SftpStatus.OK)
    await expect(lstat(join(tree.root, 'planted-abs'))).rejects.toMatchObject({ code: 'ENOENT' })
    await tree.assertCanaryIntact()
  })
})
