import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { runCommand } from './support/run-command.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const typedoc = join(root, 'node_modules/.bin/typedoc')
const outDirs: string[] = []

afterAll(async () => {
  await Promise.all(outDirs.map((dir) => rm(dir, { recursive: true, force: true })))
})

describe('API reference', () => {
  // `pnpm docs` runs `typedoc` with typedoc.json: warnings are errors there, and validation
  // reports every undocumented or unexported public symbol as a warning.
  it('builds with typedoc.json with exit 0 and no warning line, one page per package', async () => {
    const out = await mkdtemp(join(tmpdir(), 'xssh-api-'))
    outDirs.push(out)
    const run = await runCommand(typedoc, ['--out', out], { cwd: root, timeoutMs: 120_000 })
    const output = `${run.stdout}\n${run.stderr}`
    expect(output).not.toMatch(/\[warning\]|\[error\]/)
    expect(run.exitCode).toBe(0)
    expect((await readdir(join(out, 'modules'))).sort()).toEqual(['_x_connection.html', '_x_gateway.html', '_x_router.html', '_x_server.html', '_x_ssh-config.html', '_x_transport.html'])
  }, 150_000)
})
