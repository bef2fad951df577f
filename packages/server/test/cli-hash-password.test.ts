// `x-sshd hash-password` on a real terminal (a node-pty pty): the password is not echoed.
import nodePty from 'node-pty'
import { describe, expect, it } from 'vitest'
import { waitFor } from '@x/testbed'
import { verifyPassword } from '../src/index.js'
import { cliArgv } from './support/cli-process.js'

describe('x-sshd hash-password on a tty', () => {
  it('prompts, reads the password without echo and prints its hash', async () => {
    const [file, ...args] = cliArgv(['hash-password'])
    const pty = nodePty.spawn(file!, args, { cols: 200, rows: 24, env: process.env as Record<string, string> })
    let out = ''
    const exited = new Promise<number>((resolve) => pty.onExit(({ exitCode }) => resolve(exitCode)))
    pty.onData((d) => (out += d))
    try {
      await waitFor(() => out.includes('Password: '), { timeoutMs: 20_000, description: 'the prompt' })
      pty.write('tty secret\r')
      let timer: NodeJS.Timeout | undefined
      const code = await Promise.race([exited, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no exit: ${out}`)), 20_000)))]).finally(() => clearTimeout(timer))
      expect(code).toBe(0)
      expect(out).not.toContain('tty secret')
      const hash = /\$scrypt\$\S+/.exec(out)![0]
      expect(await verifyPassword('tty secret', hash)).toBe(true)
    } finally {
      pty.kill('SIGKILL')
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2000))])
    }
  })
})
