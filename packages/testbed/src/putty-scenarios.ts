import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'vitest'
import { clientKeys } from './client-keys.js'
import type { ClientScenario } from './client-scenario.js'
import { makeClientScratch } from './client-scratch.js'
import { channelRequestAnswers } from './putty-log.js'
import type { PuttyChannelRequest } from './putty-log.js'
import { runPlink, runPsftp } from './putty.js'

/** Names PuTTY's window-adjust probe, the channel request plink sends as it consumes data. */
export const WINADJ = 'winadj@putty.projects.tartarus.org'

/**
 * Says how a shell run's winadj answers are judged.
 *
 * - 'all-but-last': PuTTY sends the next winadj only after the previous one's answer, so many
 *   of them prove the server answered; only the last may cross the server's channel close
 *   unanswered (OpenSSH's sshd).
 * - 'until-close': every winadj is answered, in order, except those that crossed the server's
 *   CHANNEL_CLOSE on the wire (plink sends them as it consumes the last data): the unanswered
 *   ones are a suffix, and at least 8 were answered with FAILURE (our `listen()`).
 */
export type WinadjAnswers = 'all-but-last' | 'until-close'

/** Lists the plink exec and host-key scenarios every server under test must pass. */
export const plinkScenarios: readonly ClientScenario[] = [
  {
    name: 'plink exec: stdout and stderr apart, the exit code relayed',
    run: async ({ target }) => {
      const r = await runPlink(target, { command: 'echo out; echo err >&2; exit 3', forceWinadj: false })
      expect(r.stdout.toString(), r.stderr).toBe('out\n')
      expect(r.stderr).toContain('err\n')
      expect(r.stderr).not.toContain('out')
      expect(r.code).toBe(3)
    },
  },
  {
    name: 'plink refuses a server whose host key is not the pinned one',
    run: async ({ target }) => {
      const wrong = { ...target, hostKeys: [(await clientKeys()).unauthorized.publicLine] }
      const r = await runPlink(wrong, { command: 'echo reached', forceWinadj: false })
      expect(r.code).not.toBe(0)
      expect(r.stdout.toString()).toBe('')
      expect(r.stderr).toMatch(/host key/i)
    },
  },
]

/**
 * Lists the plink shell scenarios (with and without a pty): 2.7 MB of output arrive whole
 * and the winadj requests are answered as `winadj` says.
 */
export function plinkShellScenarios(winadj: WinadjAnswers): readonly ClientScenario[] {
  const script = 'seq 1 400000; echo "END-$((6*7))"; exit 7\n'
  const expected = Array.from({ length: 400000 }, (_, i) => `${i + 1}\n`).join('')
  return [
    {
      name: 'plink shell with a pty: 2.7 MB of output arrive whole and every winadj is answered',
      run: async ({ target }) => {
        const r = await runPlink(target, { input: script })
        expect(r.code, r.stderr).toBe(7)
        const text = r.stdout.toString().replaceAll('\r\n', '\n')
        expect(text.includes(`${expected}END-42\n`)).toBe(true)
        const requests = channelRequestAnswers(r.sshlog)
        expect(requests.slice(0, 2)).toEqual([
          { type: 'pty-req', answer: 'success' },
          { type: 'shell', answer: 'success' },
        ])
        expectWinadjAnswers(requests, winadj)
      },
    },
    {
      name: 'plink shell without a pty (-T): 2.7 MB byte-exact and every winadj answered',
      run: async ({ target }) => {
        const r = await runPlink(target, { input: script, pty: false })
        expect(r.code, r.stderr).toBe(7)
        // sshd prints the motd before a shell's output (PrintMotd); ours prints none. The rest is exact.
        expect(`\n${r.stdout.toString()}`.endsWith(`\n${expected}END-42\n`)).toBe(true)
        const requests = channelRequestAnswers(r.sshlog)
        expect(requests[0]).toEqual({ type: 'shell', answer: 'success' })
        expectWinadjAnswers(requests, winadj)
      },
    },
  ]
}

/** Lists the psftp batch scenarios every server under test must pass. */
export const psftpScenarios: readonly ClientScenario[] = [
  {
    name: 'psftp batch: put, mkdir, mv, ls, get byte-exact, rm, rmdir',
    run: async (server) => {
      await using dir = await server.sftpDir('psftp')
      await using scratch = await makeClientScratch('psftp')
      const payload = randomBytes(300_000)
      const local = join(scratch.dir, 'local.bin')
      const back = join(scratch.dir, 'back.bin')
      await writeFile(local, payload)
      const r = await runPsftp(server.target, [
        `cd ${dir.remote}`, `put ${local} up.bin`, 'mkdir sub', 'mv up.bin sub/moved.bin', 'ls sub', `get sub/moved.bin ${back}`, '',
      ].join('\n'))
      expect(r.code, r.stderr + r.stdout.toString()).toBe(0)
      expect(r.stdout.toString()).toMatch(/300000 .*moved\.bin/)
      expect((await readFile(join(dir.local, 'sub', 'moved.bin'))).equals(payload)).toBe(true)
      expect((await readFile(back)).equals(payload)).toBe(true)
      const cleanup = await runPsftp(server.target, `cd ${dir.remote}\nrm sub/moved.bin\nrmdir sub\n`)
      expect(cleanup.code, cleanup.stdout.toString()).toBe(0)
      await expect(readFile(join(dir.local, 'sub', 'moved.bin'))).rejects.toThrow()
    },
  },
  {
    name: 'psftp stops with a non-zero exit at a failing command',
    run: async ({ target }) => {
      const r = await runPsftp(target, 'get /nonexistent/file /tmp/never\nls /\n')
      expect(r.code).not.toBe(0)
      expect(r.stdout.toString()).toContain('/nonexistent/file')
      expect(r.stdout.toString()).not.toContain('Listing directory /')
    },
  },
]

/** Asserts that at least 10 winadj requests were sent and answered as `how` says. */
function expectWinadjAnswers(requests: readonly PuttyChannelRequest[], how: WinadjAnswers): void {
  const winadj = requests.filter((q) => q.type === WINADJ)
  expect(winadj.length).toBeGreaterThanOrEqual(10)
  if (how === 'all-but-last') {
    expect(winadj.slice(0, -1).filter((q) => q.answer === null)).toEqual([])
    return
  }
  const first = winadj.findIndex((q) => q.answer === null)
  if (first >= 0) expect(winadj.slice(first).every((q) => q.answer === null)).toBe(true)
  expect(winadj.filter((q) => q.answer === 'failure').length).toBeGreaterThanOrEqual(8)
}
