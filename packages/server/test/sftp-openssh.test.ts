import { createHash, randomBytes } from 'node:crypto'
import { lstat, mkdir, readFile, readdir, readlink, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeSshSftp, sftpBatch } from './helpers/openssh-sftp.js'
import { makeTree } from './helpers/tree.js'
import type { Tree } from './helpers/tree.js'

const sha = async (path: string): Promise<string> => createHash('sha256').update(await readFile(path)).digest('hex')
const exists = (path: string): Promise<boolean> => lstat(path).then(() => true, () => false)

describe.each(['stdio', 'ssh'] as const)('fsSftp with OpenSSH sftp -b (%s)', (via) => {
  let tree: Tree
  let local: string

  beforeAll(async () => {
    tree = await makeTree()
    local = join(tree.base, 'local')
    await mkdir(local)
    await writeFile(join(local, 'big.bin'), randomBytes(20 * 1024 * 1024))
    await writeFile(join(local, 'small.txt'), 'small file\n')
    const reget = randomBytes(12 * 1024 * 1024)
    await writeFile(join(tree.root, 'reget.bin'), reget)
    await writeFile(join(local, 'partial.bin'), reget.subarray(0, 5 * 1024 * 1024 + 17))
    await writeFile(join(local, 'reput.bin'), randomBytes(3 * 1024 * 1024))
    await writeFile(join(tree.root, 'reput.bin'), (await readFile(join(local, 'reput.bin'))).subarray(0, 1024 * 1024 + 5))
    await writeFile(join(tree.root, 'listed.txt'), 'listed\n')
    await symlink(tree.canary, join(tree.root, 'planted'))
    await symlink(tree.outside, join(tree.root, 'planted-dir'))
  })

  afterAll(async () => {
    await closeSshSftp()
    await tree.assertCanaryIntact()
    await tree.remove()
  })

  it('runs ls, put, get, reget, reput, mkdir/rmdir, chmod, ln, ln -s, overwrite rename and df, byte-exact', async () => {
    const r = await sftpBatch(tree.root, local, [
      'pwd',
      'ls',
      'ls -l',
      'put big.bin big.bin',
      'get big.bin big-back.bin',
      'put small.txt small.txt',
      'reget reget.bin partial.bin',
      'reput reput.bin reput.bin',
      'mkdir newdir',
      'mkdir keep',
      'rmdir newdir',
      'chmod 600 small.txt',
      'ln small.txt small-hard.txt',
      'ln -s small.txt small-soft.txt',
      'get small-soft.txt via-soft.txt',
      'put small.txt replace.txt',
      'rename small-hard.txt replace.txt',
      'df',
      'df -h',
      'cd keep',
      'put small.txt in-keep.txt',
      'ls',
    ], { via })
    expect(r.stderr).not.toMatch(/Couldn't|failure|denied/i)
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('Remote working directory: /\n')
    expect(r.stdout).toContain('listed.txt')
    expect(await sha(join(tree.root, 'big.bin'))).toBe(await sha(join(local, 'big.bin')))
    expect(await sha(join(local, 'big-back.bin'))).toBe(await sha(join(local, 'big.bin')))
    expect(await sha(join(local, 'partial.bin'))).toBe(await sha(join(tree.root, 'reget.bin')))
    expect(await sha(join(tree.root, 'reput.bin'))).toBe(await sha(join(local, 'reput.bin')))
    expect(await exists(join(tree.root, 'newdir'))).toBe(false)
    expect((await stat(join(tree.root, 'keep'))).isDirectory()).toBe(true)
    expect((await stat(join(tree.root, 'small.txt'))).mode & 0o777).toBe(0o600)
    expect(await readlink(join(tree.root, 'small-soft.txt'))).toBe('small.txt')
    expect(await readFile(join(local, 'via-soft.txt'), 'utf8')).toBe('small file\n')
    // The renamed hard link replaced replace.txt: same inode as small.txt, old name gone.
    expect(await exists(join(tree.root, 'small-hard.txt'))).toBe(false)
    expect((await stat(join(tree.root, 'replace.txt'))).ino).toBe((await stat(join(tree.root, 'small.txt'))).ino)
    expect(await readFile(join(tree.root, 'keep/in-keep.txt'), 'utf8')).toBe('small file\n')
    expect(r.stdout).toMatch(/Size\s+Used\s+Avail/)
  })

  it('refuses every escape: .., absolute host paths, a planted symlink, a symlink made through sftp', async () => {
    const r = await sftpBatch(tree.root, local, [
      '-get ../outside/canary.txt got1',
      '-get /../outside/canary.txt got2',
      `-get ${tree.canary} got3`,
      '-get planted got4',
      '-get planted-dir/canary.txt got5',
      '-put small.txt ../outside/put1',
      '-put small.txt planted-dir/put2',
      `-put small.txt ${tree.outside}/put3`,
      '-ln -s ../outside/canary.txt made1',
      `-ln -s ${tree.canary} made2`,
      '-get made1 got6',
      '-get made2 got7',
      '-chmod 777 planted',
      '-rename planted-dir/canary.txt stolen.txt',
      '-ln planted-dir/canary.txt hard.txt',
      'cd ..',
      'pwd',
    ], { via })
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('Remote working directory: /\n')
    for (const name of ['got1', 'got2', 'got3', 'got4', 'got5', 'got6', 'got7']) expect([name, await exists(join(local, name))]).toEqual([name, false])
    for (const name of ['made1', 'made2', 'stolen.txt', 'hard.txt']) expect([name, await exists(join(tree.root, name))]).toEqual([name, false])
    await tree.assertCanaryIntact()
  })

  it('serves a read-only root: reads work, every write is refused', async () => {
    const before = (await readdir(tree.root)).sort()
    const mode = (await stat(join(tree.root, 'listed.txt'))).mode
    const r = await sftpBatch(tree.root, local, [
      'get listed.txt ro-got.txt',
      'ls -l',
      'df',
      '-put small.txt ro-put.txt',
      '-put small.txt listed.txt',
      '-mkdir ro-dir',
      '-rm listed.txt',
      '-rmdir keep',
      '-rename listed.txt moved.txt',
      '-chmod 777 listed.txt',
      '-ln -s listed.txt ro-link',
      '-ln listed.txt ro-hard',
    ], { readOnly: true, via })
    expect(r.code).toBe(0)
    expect(await readFile(join(local, 'ro-got.txt'), 'utf8')).toBe('listed\n')
    expect((await readdir(tree.root)).sort()).toEqual(before)
    expect(await readFile(join(tree.root, 'listed.txt'), 'utf8')).toBe('listed\n')
    expect((await stat(join(tree.root, 'listed.txt'))).mode).toBe(mode)
    const put = await sftpBatch(tree.root, local, ['put small.txt ro-put.txt'], { readOnly: true, via })
    expect(put.code).not.toBe(0)
    expect(put.stderr).toMatch(/Permission denied/)
  })
})
