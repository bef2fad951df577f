/**
 * Keeps the README's example true: its config, resolved with the key list its code prints, gives
 * exactly the lines the README shows, and so does `ssh -G -F file host` filtered to those keys.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { resolveSshConfig } from '../src/index.js'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
const block = (lang: string): string => {
  const m = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(readme)
  if (m === null) throw new Error(`README has no ${lang} block`)
  return m[1] ?? ''
}
const config = block('sshconfig')
const code = block('ts')
const shown = block('text')
const host = /resolveSshConfig\('([^']+)'/.exec(code)?.[1] ?? ''
const keys = [.../for \(const key of \[([^\]]*)\]/.exec(code)?.[1]?.matchAll(/'([a-z]+)'/g) ?? []].map((m) => m[1] ?? '')
const dir = mkdtempSync(join(os.tmpdir(), 'x-ssh-config-readme-'))
const file = join(dir, 'ssh_config')
writeFileSync(file, config)

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('the README example', () => {
  it('prints the lines the README shows', () => {
    const c = resolveSshConfig(host, { config: file })
    const lines = keys.flatMap((key) => [c[key] ?? []].flat().map((value) => `${key} ${value}\n`))
    expect(keys.length).toBeGreaterThan(3)
    expect(lines.join('')).toBe(shown)
  })

  it('shows what ssh -G prints for those keys', () => {
    const run = spawnSync('ssh', ['-G', '-F', file, host], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    expect(run.status).toBe(0)
    const printed = run.stdout.split('\n').filter((line) => keys.includes(line.slice(0, line.indexOf(' '))))
    expect(printed.map((line) => `${line}\n`).join('')).toBe(shown)
  })
})
