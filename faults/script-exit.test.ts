/**
 * A script that connects, runs and closes exits by itself within 1 s of close() (issue #5):
 * close() leaves no timer (keepalive, close grace), socket or child that holds the event loop,
 * for a direct connection and through a ProxyCommand.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { startSshd, type SshdHandle } from '@x/testbed'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recordFigure } from './support/figures.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url))
const script = fileURLToPath(new URL('./fixtures/connect-run-close.ts', import.meta.url))

let sshd: SshdHandle
beforeAll(async () => {
  sshd = await startSshd()
})
afterAll(async () => {
  await sshd?.close()
})

/** Runs the script; resolves with its output and the ms from its 'closed' line to its exit. */
function runScript(gateway?: string): Promise<{ stdout: string; stderr: string; code: number | null; exitAfterCloseMs: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(tsx, ['--conditions=source', script], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        XSSH_HOST: sshd.host,
        XSSH_PORT: String(sshd.port),
        XSSH_USER: sshd.user,
        XSSH_KEY: sshd.clientKeys.ed25519.privatePath,
        XSSH_KNOWN_HOSTS: sshd.knownHostsFile,
        ...(gateway ? { XSSH_GATEWAY: gateway } : {}),
      },
    })
    let stdout = ''
    let stderr = ''
    let closedAt: number | undefined
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      if (closedAt === undefined && stdout.includes('closed\n')) closedAt = performance.now()
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    // A script that never exits is killed after 60 s, which fails the bound below.
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('error', (err) => {
      clearTimeout(killer)
      reject(err)
    })
    child.on('exit', (code) => {
      const exitedAt = performance.now()
      clearTimeout(killer)
      // Wait for the pipes to drain before resolving ('close' follows 'exit').
      child.on('close', () => resolve({ stdout, stderr, code, exitAfterCloseMs: closedAt === undefined ? Infinity : Math.round((exitedAt - closedAt) * 10) / 10 }))
    })
  })
}

describe('a connect/run/close script', () => {
  it('exits by itself within 1 s of close()', async () => {
    const { stdout, stderr, code, exitAfterCloseMs } = await runScript()
    expect(stderr).toBe('')
    expect(stdout).toBe('output ran\nclosed\n')
    expect(code).toBe(0)
    recordFigure({ case: 'script exits by itself', measure: 'close() → process exit (direct)', value: exitAfterCloseMs, unit: 'ms', bound: 1_000 })
    expect(exitAfterCloseMs).toBeLessThan(1_000)
  })

  it('exits by itself within 1 s of close() through a ProxyCommand', async () => {
    const { stdout, stderr, code, exitAfterCloseMs } = await runScript(`socat - TCP:%h:%p`)
    expect(stderr).toBe('')
    expect(stdout).toBe('output ran\nclosed\n')
    expect(code).toBe(0)
    recordFigure({ case: 'script exits by itself', measure: 'close() → process exit (ProxyCommand)', value: exitAfterCloseMs, unit: 'ms', bound: 1_000 })
    expect(exitAfterCloseMs).toBeLessThan(1_000)
  })
})
