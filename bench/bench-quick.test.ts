/**
 * CI smoke test of the bench harness: `pnpm bench --quick` must run to the end and print the
 * table with every figure's row and a loaded native binding. It asserts no performance ratio
 * (performance is judged by people reading the table, never by a timed test).
 */
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const LIMIT_MS = 150_000
/** tsx's CLI, resolved from the workspace root (a root dev dependency). */
const TSX_CLI = createRequire(new URL('../package.json', import.meta.url)).resolve('tsx/cli')

function runQuickBench(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSX_CLI, '--conditions=source', 'bench/run.ts', '--quick'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const timer = setTimeout(() => child.kill('SIGKILL'), LIMIT_MS)
    child.once('error', (err) => { clearTimeout(timer); reject(err) })
    child.once('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }) })
  })
}

describe('pnpm bench --quick', () => {
  it('prints the table with a row for every figure P1–P7 and native binding: yes', async () => {
    const { code, stdout, stderr } = await runQuickBench()
    expect(code, stderr.slice(-2000)).toBe(0)
    expect(stdout).toContain('native binding: yes')
    expect(stdout).toMatch(/^\| # \| measurement \|/m)
    for (const figure of ['P1', 'P2', 'P3', 'P4', 'P5', 'P6', 'P7']) {
      expect(stdout, figure).toMatch(new RegExp(`^\\| ${figure} \\|`, 'm'))
    }
    // P1 has both ciphers, both directions, forwardLocal and openSocket.
    expect(stdout.match(/^\| P1 \|/gm)).toHaveLength(8)
  }, LIMIT_MS + 10_000)
})
