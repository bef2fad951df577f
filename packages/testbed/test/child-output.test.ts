// runCommand and runClientProcess share collectChildOutput: output apart, timeout, spawn failure.
import { describe, expect, it } from 'vitest'
import { ClientRunError, runClientProcess, runCommand } from '../src/index.js'

describe('collectChildOutput through runCommand and runClientProcess', () => {
  it('both feed stdin and keep stdout and stderr apart', async () => {
    const script = ['-c', 'cat; echo err >&2']
    const command = await runCommand('/bin/sh', script, { input: 'in\n' })
    expect(command).toMatchObject({ stdout: 'in\n', stderr: 'err\n', code: 0 })
    const client = await runClientProcess('/bin/sh', script, { input: 'in\n' })
    expect(client.stdout.toString()).toBe('in\n')
    expect(client).toMatchObject({ stderr: 'err\n', code: 0 })
  })

  it('both kill a child that outlives timeoutMs and say so', async () => {
    await expect(runCommand('/bin/sleep', ['5'], { timeoutMs: 200 })).rejects.toThrow(/timed out after 200 ms/)
    const started = Date.now()
    const err: unknown = await runClientProcess('/bin/sleep', ['5'], { timeoutMs: 200 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ClientRunError)
    expect((err as ClientRunError).reason).toBe('timeout')
    expect(Date.now() - started).toBeLessThan(4000)
  })

  it('both report a program that cannot start, with the spawn error as cause', async () => {
    const missing = '/nonexistent/xssh-no-such-program'
    const commandErr: unknown = await runCommand(missing, []).catch((e: unknown) => e)
    expect((commandErr as Error).cause).toMatchObject({ code: 'ENOENT' })
    const clientErr: unknown = await runClientProcess(missing, []).catch((e: unknown) => e)
    expect(clientErr).toBeInstanceOf(ClientRunError)
    expect((clientErr as ClientRunError).reason).toBe('spawn')
    expect((clientErr as ClientRunError).cause).toMatchObject({ code: 'ENOENT' })
  })
})
