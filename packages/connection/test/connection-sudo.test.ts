import { ensureSudo, startSshd, type SshdHandle } from '@x/testbed'
import { randomInt } from 'node:crypto'
import { AuthenticationError, TimeoutError, UnexpectedExitError, type Connection } from '@x/connection'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectionTo } from './helpers.js'

let sshd: SshdHandle
let c: Connection
beforeAll(async () => {
  await ensureSudo()
  sshd = await startSshd()
  c = connectionTo(sshd, { auth: { password: undefined } })
})
afterAll(async () => {
  await c?.close()
  await sshd?.close()
})

describe('Connection.sudo against a real sudo', () => {
  it('runs as root with the right password, which never appears in the output', async () => {
    const r = await c.sudo('whoami; echo to-stderr >&2', { password: sshd.password })
    expect(r.stdout).toBe('root\n')
    expect(r.stderr).toBe('to-stderr\n')
    expect(r.stdout + r.stderr).not.toContain(sshd.password)
    expect(r.stderr).not.toMatch(/\[sudo\]|xssh-sudo-granted/)
  })

  it('works with a pty (the prompt arrives on stdout)', async () => {
    const r = await c.sudo('id -u', { password: sshd.password, pty: true })
    expect(r.stdout.trim()).toBe('0')
    expect(r.stdout).not.toContain(sshd.password)
  })

  it('fails fast with AuthenticationError on a wrong password', async () => {
    const started = Date.now()
    const err = await c.sudo('whoami', { password: 'not-the-password' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AuthenticationError)
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(String((err as Error).message)).not.toContain('not-the-password')
  })

  it('fails fast with AuthenticationError when no password is given', async () => {
    const err = await c.sudo('whoami').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AuthenticationError)
  })

  it('reports the command failing as root as UnexpectedExitError', async () => {
    const err = await c.sudo('exit 5', { password: sshd.password }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UnexpectedExitError)
    expect((err as UnexpectedExitError).result.exitCode).toBe(5)
  })

  it('stops the root command behind sudo on a timeout, within 1 s', async () => {
    const marker = `41.${randomInt(1e9)}`
    const started = Date.now()
    const err = await c.sudo(`sleep ${marker}; true`, { password: sshd.password, timeoutMs: 1500 }).catch((e: unknown) => e)
    const stopped = Date.now()
    try {
      expect(err).toBeInstanceOf(TimeoutError)
      expect((err as TimeoutError).stop).toMatchObject({ mayStillRun: false })
      expect(stopped - started).toBeLessThan(1500 + 1000)
      expect((await c.run(`pgrep -f '[s]leep ${marker}'`, { warn: true })).exitCode).toBe(1)
    } finally {
      await c.sudo(`pkill -KILL -f '[s]leep ${marker}'`, { password: sshd.password, warn: true })
    }
  })
})
