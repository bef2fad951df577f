import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import nodePty from 'node-pty'
import type { IPty } from 'node-pty'
import { descendantPids, processCommandLine, runCommand } from '@x/testbed'
import type { SessionFixture } from './support/fixture.js'
import { startSessionFixture } from './support/fixture.js'

const SSH = '/usr/bin/ssh'
let f: SessionFixture

beforeAll(async () => {
  f = await startSessionFixture()
})
afterAll(async () => {
  await f?.close()
})

/** Runs `ssh -tt` on a client-side pty (node-pty), so a resize there becomes a window-change. */
function sshOnPty(args: string[], size: { cols: number; rows: number }) {
  const term: IPty = nodePty.spawn(SSH, ['-tt', ...f.ssh, 'xssh-test@127.0.0.1', ...args], {
    name: 'xterm-256color', cols: size.cols, rows: size.rows, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  })
  let output = ''
  term.onData((data) => (output += data))
  const exited = new Promise<{ exitCode: number; signal?: number | undefined }>((resolve) => term.onExit(resolve))
  const waitFor = async (pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const match = pattern.exec(output)
      if (match) return match
      if (Date.now() > deadline) throw new Error(`no ${pattern} in ${JSON.stringify(output)}`)
      await new Promise((r) => setTimeout(r, 25))
    }
  }
  return { term, exited, waitFor, output: () => output }
}

describe('runSession on a real pseudo-terminal', () => {
  it('gives ssh -tt a login shell whose stty size follows a resize, with TERM and SSH_TTY', async () => {
    const s = sshOnPty([], { cols: 91, rows: 27 })
    s.term.write('echo "A=$0 T=$TERM Y=$SSH_TTY"; stty size; echo MARK1\r')
    const first = await s.waitFor(/A=(\S+) T=(\S+) Y=(\S+)\r\n27 91\r\nMARK1/)
    expect(first[1]).toBe('/bin/sh') // a login shell through setpriv: -l instead of argv[0] '-sh'
    expect(first[2]).toBe('xterm-256color')
    expect(first[3]).toMatch(/^\/dev\/pts\/\d+$/)
    s.term.write(`stat -c "O=%u" "$SSH_TTY"\r`)
    expect((await s.waitFor(/O=(\d+)\r\n/))[1]).toBe(String(f.user.uid))
    s.term.resize(132, 43)
    await new Promise((r) => setTimeout(r, 300))
    s.term.write('stty size; echo MARK2\r')
    await s.waitFor(/43 132\r\nMARK2/)
    s.term.write('exit 7\r')
    expect((await s.exited).exitCode).toBe(7)
    expect(f.results.at(-1)).toEqual({ exitCode: 7, exitSignal: null, hungUp: false })
  })

  it('relays exit-signal from a pty command that kills itself', async () => {
    const out = await runCommand(SSH, ['-tt', ...f.ssh, 'xssh-test@127.0.0.1', 'kill -TERM $$'], { allowFailure: true })
    expect(out.code).toBe(255)
    expect(f.results.at(-1)).toEqual({ exitCode: null, exitSignal: 'TERM', hungUp: false })
  })

  it('ends a pty shell when the client disconnects', async () => {
    const s = sshOnPty([], { cols: 80, rows: 24 })
    // Wait for the shell's answer, not the client pty's local echo of what we typed.
    s.term.write('echo READY $((6*7))\r')
    await s.waitFor(/READY 42\r\n/)
    s.term.write('sleep 600\r')
    await new Promise((r) => setTimeout(r, 300))
    const before = f.results.length
    s.term.kill('SIGKILL')
    await s.exited
    for (let i = 0; i < 100 && f.results.length === before; i++) await new Promise((r) => setTimeout(r, 50))
    expect(f.results.at(-1)?.hungUp).toBe(true)
    expect(descendantPids(process.pid).filter((pid) => processCommandLine(pid) === 'sleep 600')).toEqual([])
  })
})
