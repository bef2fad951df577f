import { createHash, randomBytes } from 'node:crypto'
import { rm, writeFile } from 'node:fs/promises'
import { startSshd, testUserTempDir, type SshdHandle } from '@x/testbed'
import { Connection, TimeoutError, UnexpectedExitError } from '@x/connection'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectionTo } from './helpers.js'

let sshd: SshdHandle
let limited: SshdHandle
let c: Connection
beforeAll(async () => {
  ;[sshd, limited] = await Promise.all([startSshd({ extraConfig: ['AcceptEnv XSSH_*'] }), startSshd({ maxSessions: 10 })])
  c = connectionTo(sshd)
})
afterAll(async () => {
  await c?.close()
  await Promise.all([sshd?.close(), limited?.close()])
})

describe('Connection basics', () => {
  it('resolves its target from ssh_config without touching the network', () => {
    const fresh = connectionTo(sshd)
    expect(fresh.isConnected).toBe(false)
    expect(fresh.transport).toBeUndefined()
    expect(fresh.hostname).toBe(sshd.host)
    expect(fresh.port).toBe(sshd.port)
    expect(fresh.user).toBe(sshd.user)
    expect(fresh.sshConfig['hostname']).toBe(sshd.host)
  })

  it('accepts the user@host:port shorthand', async () => {
    await using direct = new Connection(`${sshd.user}@${sshd.host}:${sshd.port}`, {
      config: false,
      auth: { privateKeys: [sshd.clientKeys.ed25519.privatePath], agent: false, lookForKeys: false },
      hostKeys: { knownHostsFiles: [sshd.knownHostsFile] },
    })
    expect((await direct.run('whoami')).stdout.trim()).toBe(sshd.user)
  })

  it('opens lazily on first use and reports isConnected', async () => {
    const r = await c.run('echo hello')
    expect(r).toMatchObject({ stdout: 'hello\n', stderr: '', exitCode: 0, signal: null, ok: true, command: 'echo hello' })
    expect(c.isConnected).toBe(true)
    expect(c.transport?.isAuthenticated).toBe(true)
  })
})

describe('run()', () => {
  it('raises UnexpectedExitError for a non-zero exit unless warn is set', async () => {
    const err = await c.run('echo out; echo err >&2; exit 3').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UnexpectedExitError)
    expect((err as UnexpectedExitError).code).toBe('ERR_SSH_UNEXPECTED_EXIT')
    expect((err as UnexpectedExitError).result).toMatchObject({ exitCode: 3, stdout: 'out\n', stderr: 'err\n', ok: false })
    const r = await c.run('exit 4', { warn: true })
    expect(r.exitCode).toBe(4)
  })

  it('reports the signal that killed the command', async () => {
    const r = await c.run('kill -TERM $$', { warn: true })
    expect(r.exitCode).toBeNull()
    expect(r.signal).toBe('SIGTERM')
  })

  it('collects stderr written after stdout reached EOF', async () => {
    const r = await c.run('exec 1>&-; sleep 0.2; echo late >&2')
    expect(r.stderr).toBe('late\n')
  })

  it('carries 100 MiB of stdout byte-exact', async () => {
    const dir = await testUserTempDir('run-')
    const file = `${dir}/big.bin`
    const data = randomBytes(100 << 20)
    await writeFile(file, data)
    try {
      const hash = createHash('sha256')
      let bytes = 0
      await c.run(`cat ${file}`, {
        onStdout: (chunk) => {
          hash.update(chunk)
          bytes += chunk.length
        },
      })
      expect(bytes).toBe(data.length)
      expect(hash.digest('hex')).toBe(createHash('sha256').update(data).digest('hex'))
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }, 120_000)

  it('passes stdin, env and a pty', async () => {
    expect((await c.run('wc -c', { stdin: 'x'.repeat(12345) })).stdout.trim()).toBe('12345')
    expect((await c.run('echo "$XSSH_NAME"', { env: { XSSH_NAME: 'from env' } })).stdout).toBe('from env\n')
    expect((await c.run('tty', { pty: true })).stdout).toMatch(/^\/dev\/pts\//)
  })

  it('answers prompts with watchers', async () => {
    const r = await c.run('printf "Continue? "; read answer; echo "got $answer"', { watchers: [{ pattern: 'Continue? ', response: 'yes\n' }] })
    expect(r.stdout).toContain('got yes')
  })

  it('kills a command that runs past timeoutMs with TimeoutError{phase:"command"}', async () => {
    const started = Date.now()
    const err = await c.run('sleep 30', { timeoutMs: 300 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TimeoutError)
    expect((err as TimeoutError).phase).toBe('command')
    expect(Date.now() - started).toBeLessThan(5_000)
    expect((await c.run('echo after')).stdout).toBe('after\n')
  })

  it('rejects with the abort reason when the signal fires', async () => {
    const controller = new AbortController()
    const reason = new Error('stop')
    setTimeout(() => controller.abort(reason), 200)
    await expect(c.run('sleep 30', { signal: controller.signal })).rejects.toBe(reason)
  })

  it('exec() streams a Channel', async () => {
    const ch = await c.exec('echo streamed')
    let out = ''
    for await (const chunk of ch) out += String(chunk)
    expect(out).toBe('streamed\n')
    expect((await ch.exitStatus()).code).toBe(0)
  })
})

describe('many operations at once', () => {
  it('runs 50 commands at once against MaxSessions 10: all succeed, queued not refused', async () => {
    await using many = connectionTo(limited)
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => many.run(`echo ${i}`)))
    expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 50 }, (_, i) => `${i}\n`))
  })
})
