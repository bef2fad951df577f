// listen() against PuTTY's plink and psftp (Debian's putty-tools): the same scenarios
// packages/testbed/test/clients-putty.test.ts runs against OpenSSH's sshd.
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeClientScratch, runPlink, runPsftp } from '@x/testbed'
import { startClientsFixture } from './support/client-target.js'
import type { ClientsFixture } from './support/client-target.js'

describe('listen() with PuTTY plink and psftp', () => {
  let f: ClientsFixture
  beforeAll(async () => {
    f = await startClientsFixture()
  })
  afterAll(() => f?.close())

  it('plink exec: stdout and stderr apart, the exit code relayed', async () => {
    const r = await runPlink(f.target, { command: 'echo out; echo err >&2; exit 3', forceWinadj: false })
    expect(r.stdout.toString(), r.stderr).toBe('out\n')
    expect(r.stderr).toContain('err\n')
    expect(r.stderr).not.toContain('out')
    expect(r.code).toBe(3)
  })

  it('plink refuses the server when the pinned host key is another one', async () => {
    const wrong = { ...f.target, hostKeys: [f.fixture.keys.unauthorized.publicLine] }
    const r = await runPlink(wrong, { command: 'echo reached', forceWinadj: false })
    expect(r.code).not.toBe(0)
    expect(r.stdout.toString()).toBe('')
    expect(r.stderr).toMatch(/host key/i)
  })

  it('psftp batch in the SFTP root: put, mkdir, mv, ls, get byte-exact, rm, rmdir', async () => {
    await using scratch = await makeClientScratch('psftp')
    const payload = randomBytes(300_000)
    const local = join(scratch.dir, 'local.bin')
    const back = join(scratch.dir, 'back.bin')
    await writeFile(local, payload)
    const r = await runPsftp(f.target, [
      'cd /', `put ${local} up.bin`, 'mkdir sub', 'mv up.bin sub/moved.bin', 'ls sub', `get sub/moved.bin ${back}`, '',
    ].join('\n'))
    expect(r.code, r.stderr + r.stdout.toString()).toBe(0)
    expect(r.stdout.toString()).toMatch(/300000 .*moved\.bin/)
    expect((await readFile(join(f.root, 'sub', 'moved.bin'))).equals(payload)).toBe(true)
    expect((await readFile(back)).equals(payload)).toBe(true)
    const cleanup = await runPsftp(f.target, 'cd /\nrm sub/moved.bin\nrmdir sub\n')
    expect(cleanup.code, cleanup.stdout.toString()).toBe(0)
    await expect(readFile(join(f.root, 'sub', 'moved.bin'))).rejects.toThrow()
  })

  it('psftp stops with a non-zero exit at a failing command', async () => {
    const r = await runPsftp(f.target, 'get /nonexistent/file /tmp/never\nls /\n')
    expect(r.code).not.toBe(0)
    expect(r.stdout.toString()).toContain('/nonexistent/file')
    expect(r.stdout.toString()).not.toContain('Listing directory /')
  })
})
