import { randomBytes } from 'node:crypto'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  channelRequestAnswers,
  clientTargetOf,
  runPlink,
  runPsftp,
  startSshd,
  testUserTempDir,
} from '../src/index.js'
import type { ClientTarget, SshdHandle } from '../src/index.js'

const WINADJ = 'winadj@putty.projects.tartarus.org'

describe('PuTTY plink and psftp against OpenSSH sshd (validates the harness)', () => {
  let sshd: SshdHandle
  let target: ClientTarget
  beforeAll(async () => {
    sshd = await startSshd()
    target = clientTargetOf(sshd)
  })
  afterAll(() => sshd?.close())

  it('plink exec: stdout and stderr apart, the exit code relayed', async () => {
    const r = await runPlink(target, { command: 'echo out; echo err >&2; exit 3', forceWinadj: false })
    expect(r.stdout.toString(), r.stderr).toBe('out\n')
    expect(r.stderr).toContain('err\n')
    expect(r.stderr).not.toContain('out')
    expect(r.code).toBe(3)
  })

  it('plink shell with a pty: 2.7 MB of output arrive whole and every winadj is answered', async () => {
    const script = 'seq 1 400000; echo "END-$((6*7))"; exit 7\n'
    const r = await runPlink(target, { input: script })
    expect(r.code, r.stderr).toBe(7)
    const text = r.stdout.toString().replaceAll('\r\n', '\n')
    const expected = Array.from({ length: 400000 }, (_, i) => `${i + 1}\n`).join('')
    expect(text.includes(`${expected}END-42\n`)).toBe(true)
    const requests = channelRequestAnswers(r.sshlog)
    expect(requests.slice(0, 2)).toEqual([
      { type: 'pty-req', answer: 'success' },
      { type: 'shell', answer: 'success' },
    ])
    const winadj = requests.filter((q) => q.type === WINADJ)
    // PuTTY sends the next winadj only after the previous one's answer: many of them prove
    // the server answered; only the last may cross the server's channel close unanswered.
    expect(winadj.length).toBeGreaterThanOrEqual(10)
    expect(winadj.slice(0, -1).filter((q) => q.answer === null)).toEqual([])
  })

  it('plink shell without a pty (-T): 2.7 MB byte-exact and every winadj answered', async () => {
    const r = await runPlink(target, { input: 'seq 1 400000; echo "END-$((6*7))"; exit 7\n', pty: false })
    expect(r.code, r.stderr).toBe(7)
    const expected = Array.from({ length: 400000 }, (_, i) => `${i + 1}\n`).join('')
    // sshd prints the motd before a shell's output (PrintMotd); ours prints none. The rest is exact.
    expect(`\n${r.stdout.toString()}`.endsWith(`\n${expected}END-42\n`)).toBe(true)
    const requests = channelRequestAnswers(r.sshlog)
    expect(requests[0]).toEqual({ type: 'shell', answer: 'success' })
    const winadj = requests.filter((q) => q.type === WINADJ)
    expect(winadj.length).toBeGreaterThanOrEqual(10)
    expect(winadj.slice(0, -1).filter((q) => q.answer === null)).toEqual([])
  })

  it('plink in simple mode (no forward) sends no winadj at all', async () => {
    const r = await runPlink(target, { input: 'seq 1 200000 >/dev/null; seq 1 100000; exit\n', forceWinadj: false })
    expect(r.code, r.stderr).toBe(0)
    expect(channelRequestAnswers(r.sshlog).some((q) => q.type === WINADJ)).toBe(false)
  })

  it('plink refuses a server whose host key is not the pinned one', async () => {
    const other = clientTargetOf(sshd)
    const wrong = { ...other, hostKeys: [sshd.clientKeys.unauthorized.publicLine] }
    const r = await runPlink(wrong, { command: 'echo reached', forceWinadj: false })
    expect(r.code).not.toBe(0)
    expect(r.stdout.toString()).toBe('')
    expect(r.stderr).toMatch(/host key/i)
  })

  it('psftp batch: put, mkdir, mv, ls, get byte-exact, rm, rmdir', async () => {
    const dir = await testUserTempDir('psftp-')
    try {
      const payload = randomBytes(300_000)
      const local = join(dir, 'local.bin')
      const back = join(dir, 'back.bin')
      await writeFile(local, payload)
      const r = await runPsftp(target, [
        `cd ${dir}`,
        `put ${local} up.bin`,
        'mkdir sub',
        'mv up.bin sub/moved.bin',
        'ls sub',
        `get sub/moved.bin ${back}`,
        '',
      ].join('\n'))
      expect(r.code, r.stderr + r.stdout.toString()).toBe(0)
      expect(r.stdout.toString()).toMatch(/300000 .*moved\.bin/)
      expect((await readFile(join(dir, 'sub', 'moved.bin'))).equals(payload)).toBe(true)
      expect((await readFile(back)).equals(payload)).toBe(true)
      const cleanup = await runPsftp(target, `cd ${dir}\nrm sub/moved.bin\nrmdir sub\n`)
      expect(cleanup.code, cleanup.stdout.toString()).toBe(0)
      await expect(readFile(join(dir, 'sub', 'moved.bin'))).rejects.toThrow()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('psftp stops with a non-zero exit at a failing command', async () => {
    const r = await runPsftp(target, 'get /nonexistent/file /tmp/never\nls /\n')
    expect(r.code).not.toBe(0)
    expect(r.stdout.toString()).toContain('/nonexistent/file')
    expect(r.stdout.toString()).not.toContain('Listing directory /')
  })
})
