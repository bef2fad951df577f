import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))
const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url))

describe('the README demo', () => {
  it('runs to a clean exit against its embedded servers', async () => {
    const { stdout } = await promisify(execFile)(tsx, ['--conditions=source', 'examples/demo.ts'], { cwd: root, timeout: 60_000 })
    expect(stdout).toMatch(/authenticated as demo/)
    expect(stdout).toMatch(/HTTP through SSH: hello from behind SSH/)
    expect(stdout).toMatch(/HostKeyError ERR_SSH_HOST_KEY/)
    expect(stdout).toMatch(/demo finished/)
  })
})
