import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { runCommand } from '../src/index.js'

const root = fileURLToPath(new URL('../../..', import.meta.url))
const vitest = `${root}node_modules/vitest/vitest.mjs`
const config = fileURLToPath(new URL('./fixtures/hygiene.config.ts', import.meta.url))

describe('setup-hygiene', () => {
  it('fails a test file that leaks a child, an fd, listeners past MaxListeners or a rejection', async () => {
    const out = await runCommand(process.execPath, [vitest, 'run', '--config', config, '--root', root], {
      allowFailure: true,
      timeoutMs: 50_000,
      env: { CI: '', FORCE_COLOR: '0', NO_COLOR: '1' },
    })
    const text = out.stdout + out.stderr
    expect(out.code, text).toBe(1)
    expect(text).toMatch(/child process left running or unreaped: \d+ \(state S: \/bin\/sleep 8\)/)
    expect(text).toContain('1 file descriptor(s) left open')
    expect(text).toMatch(/warning: Possible EventEmitter memory leak detected/)
    expect(text).toContain('unhandled rejection: Error: forgotten')
  })
})
