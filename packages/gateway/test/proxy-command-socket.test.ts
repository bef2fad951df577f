import { createHash, randomBytes } from 'node:crypto'
import { ConfigError, openProxyCommand, ProxyCommandError, ProxyCommandSocket } from '@x/gateway'
import { childPids, isProcessAlive, openFdCount, waitFor } from '@x/testbed'
import { describe, expect, it } from 'vitest'
import { closeOf, groupMembers, readAll, within } from './helpers.js'

const target = { host: '127.0.0.1', port: 22 }
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

describe('ProxyCommandSocket as a byte stream', () => {
  it('carries bytes both ways through the command and ends when the command finishes', async () => {
    const sock = await openProxyCommand('cat', target)
    expect(sock).toBeInstanceOf(ProxyCommandSocket)
    expect(sock.pid).toBeGreaterThan(0)
    expect(sock.command).toBe('cat')
    const payload = randomBytes(1 << 20)
    const echoed = readAll(sock)
    sock.end(payload)
    expect(sha256(await echoed)).toBe(sha256(payload))
    expect(await closeOf(sock)).toBeUndefined()
    await within(5000, 'reaped', sock.reaped)
    expect(sock.exitCode).toBe(0)
    expect(sock.signalCode).toBeNull()
  })

  it('expands %h %p %r %n and %% before the shell sees the command', async () => {
    const sock = await openProxyCommand('echo %h %p %r %n %%', { host: 'h.example', port: 2222, user: 'u', alias: 'h' })
    expect((await readAll(sock)).toString()).toBe('h.example 2222 u h %\n')
    await sock.reaped
  })

  it('drains stderr continuously and keeps only its last 8 KiB', async () => {
    // 1 MB on stderr would block a command whose stderr nobody reads long before 'ready'.
    const sock = await openProxyCommand(`sh -c 'head -c 1000000 /dev/zero | tr "\\\\0" x >&2; echo tail-line >&2; echo ready'`, target)
    expect((await readAll(sock)).toString()).toBe('ready\n')
    await sock.reaped
    expect(sock.stderrTail.length).toBeLessThanOrEqual(8192)
    expect(sock.stderrTail.endsWith('xxxxtail-line\n')).toBe(true)
  })

  it('passes env to the command', async () => {
    const sock = await openProxyCommand('printenv GATEWAY_TEST_VALUE', { ...target, env: { GATEWAY_TEST_VALUE: 'from-env', PATH: process.env['PATH'] } })
    expect((await readAll(sock)).toString()).toBe('from-env\n')
    await sock.reaped
  })
})

describe('ProxyCommandSocket when the command fails', () => {
  it('fails with ProxyCommandError carrying exit code and stderr once used, within 1 s', async () => {
    const sock = await openProxyCommand(`sh -c 'echo "bastion unreachable" >&2; exit 3'`, target)
    const started = Date.now()
    sock.resume()
    const err = await within(1000, 'the error', closeOf(sock))
    expect(Date.now() - started).toBeLessThan(1000)
    expect(err).toBeInstanceOf(ProxyCommandError)
    const pce = err as ProxyCommandError
    expect(pce.code).toBe('ERR_SSH_PROXY_COMMAND')
    expect(pce.exitCode).toBe(3)
    expect(pce.signal).toBeNull()
    expect(pce.stderrTail).toBe('bastion unreachable\n')
    expect(pce.command).toBe(`sh -c 'echo "bastion unreachable" >&2; exit 3'`)
    await sock.reaped
  })

  it('fails when the command exits 0 before sending a byte', async () => {
    const sock = await openProxyCommand('true', target)
    sock.resume()
    const err = (await closeOf(sock)) as ProxyCommandError
    expect(err).toBeInstanceOf(ProxyCommandError)
    expect(err.exitCode).toBe(0)
    await sock.reaped
  })

  it('reports the signal that killed the command', async () => {
    const sock = await openProxyCommand(`sh -c 'kill -9 $$'`, target)
    sock.resume()
    const err = (await closeOf(sock)) as ProxyCommandError
    expect(err).toBeInstanceOf(ProxyCommandError)
    expect(err.exitCode).toBeNull()
    expect(err.signal).toBe('SIGKILL')
    await sock.reaped
  })

  it('keeps quiet until used: no error event before anyone reads or writes', async () => {
    const sock = await openProxyCommand(`sh -c 'exit 7'`, target)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(sock.destroyed).toBe(false)
    expect(sock.exitCode).toBe(7)
    sock.resume()
    expect(((await closeOf(sock)) as ProxyCommandError).exitCode).toBe(7)
    await sock.reaped
  })

  it('rejects with ProxyCommandError when the shell cannot start', async () => {
    const before = childPids()
    const err = await openProxyCommand('cat', { ...target, shell: '/nonexistent/sh' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ProxyCommandError)
    expect(((err as ProxyCommandError).cause as NodeJS.ErrnoException).code).toBe('ENOENT')
    expect(childPids()).toEqual(before)
  })

  it('rejects bad arguments before anything runs', async () => {
    await expect(openProxyCommand('', target)).rejects.toBeInstanceOf(TypeError)
    await expect(openProxyCommand('cat', { host: 'h', port: 0 })).rejects.toBeInstanceOf(RangeError)
    await expect(openProxyCommand('cat', { ...target, graceMs: -1 })).rejects.toBeInstanceOf(RangeError)
    await expect(openProxyCommand('ssh %r@x', target)).rejects.toBeInstanceOf(ConfigError)
  })
})

describe('ProxyCommandSocket teardown', () => {
  it('leaves no process of a pipeline behind: SIGTERM to the whole group, then reaped', async () => {
    const sock = await openProxyCommand('sleep 3600 | cat', target)
    await within(2000, 'the pipeline to start', (async () => {
      while (groupMembers(sock.pid).length < 3) await new Promise((resolve) => setTimeout(resolve, 10))
    })())
    const started = Date.now()
    sock.destroy()
    await within(8000, 'reaped', sock.reaped)
    expect(groupMembers(sock.pid)).toEqual([])
    // The members are signalled first, so the shell reaps them: nothing waits for init to reap
    // orphans. (How the shell exits varies: cat may see EOF from the dead sleep before its own
    // SIGTERM arrives.)
    expect(Date.now() - started).toBeLessThan(1000)
    expect(sock.signalCode === 'SIGTERM' || sock.exitCode === 143 || sock.exitCode === 0, `exit ${sock.exitCode} ${sock.signalCode}`).toBe(true)
  })

  it('kills a command that ignores SIGTERM with SIGKILL after graceMs', async () => {
    const sock = await openProxyCommand(`sh -c 'trap "" TERM; sleep 3600'`, { ...target, graceMs: 300 })
    await new Promise((resolve) => setTimeout(resolve, 100)) // let the trap be set
    const started = Date.now()
    sock.destroy()
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(groupMembers(sock.pid).length).toBe(2) // SIGTERM ignored by both
    await within(5000, 'reaped', sock.reaped)
    const took = Date.now() - started
    expect(took).toBeGreaterThanOrEqual(290)
    expect(took).toBeLessThan(3000)
    expect(sock.signalCode === 'SIGKILL' || sock.exitCode === 128 + 9).toBe(true)
    expect(groupMembers(sock.pid)).toEqual([])
  })

  it('stops the command when the start is aborted', async () => {
    const before = childPids()
    const controller = new AbortController()
    const opening = openProxyCommand('sleep 3600', { ...target, signal: controller.signal })
    controller.abort(new Error('changed my mind'))
    await expect(opening).rejects.toThrow('changed my mind')
    expect(childPids()).toEqual(before)
    await expect(openProxyCommand('cat', { ...target, signal: AbortSignal.abort() })).rejects.toBeInstanceOf(DOMException)
  })

  it('opens and destroys 200 times without a zombie, a child or a file descriptor left', async () => {
    const children = childPids()
    const fds = openFdCount()
    for (let i = 0; i < 200; i++) {
      const sock = await openProxyCommand('cat', target)
      sock.destroy()
      await sock.reaped
      expect(isProcessAlive(sock.pid)).toBe(false)
    }
    expect(childPids()).toEqual(children)
    await waitFor(() => openFdCount() <= fds, { timeoutMs: 3000, description: `fds back to ${fds}` })
  })
})
