import { startDropbear, startSshd, type DropbearHandle, type SshdHandle } from '@x/testbed'
import { ChannelOpenError, type Transport } from '@x/transport'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authenticatedTransport, collect, runCommand } from './helpers.js'

let sshd: SshdHandle
let limited: SshdHandle
let dropbear: DropbearHandle
let t: Transport
beforeAll(async () => {
  ;[sshd, limited, dropbear] = await Promise.all([
    startSshd({ extraConfig: ['AcceptEnv XSSH_*'] }),
    startSshd({ maxSessions: 3 }),
    startDropbear(),
  ])
  t = await authenticatedTransport(sshd)
})
afterAll(async () => {
  await t?.close()
  await Promise.all([sshd?.close(), limited?.close(), dropbear?.close()])
})

describe('session channels on OpenSSH', () => {
  it('exec returns stdout, stderr and the exit code', async () => {
    const r = await runCommand(t, 'echo out; echo err >&2; exit 7')
    expect(r).toMatchObject({ stdout: 'out\n', stderr: 'err\n', code: 7, signal: null })
  })

  it('reports the exit signal of a killed command', async () => {
    const r = await runCommand(t, 'kill -KILL $$')
    expect(r.code).toBeNull()
    expect(r.signal).toBe('SIGKILL')
  })

  it('sendSignal reaches the remote command', async () => {
    const ch = await t.openSession()
    await ch.exec('exec sleep 30')
    const out = collect(ch)
    await new Promise((resolve) => setTimeout(resolve, 200))
    ch.sendSignal('TERM')
    await out
    const status = await ch.exitStatus()
    expect(status.signal).toBe('SIGTERM')
  })

  it('feeds stdin to the command', async () => {
    const ch = await t.openSession()
    await ch.exec('wc -c')
    ch.end(Buffer.alloc(100_000, 1))
    expect((await collect(ch)).toString().trim()).toBe('100000')
    expect((await ch.exitStatus()).code).toBe(0)
  })

  it('getPty gives the command a terminal of the requested size', async () => {
    const r = await runCommand(t, 'tty; stty size', (ch) => ch.getPty({ cols: 101, rows: 33, term: 'xterm' }))
    expect(r.stdout).toMatch(/\/dev\/pts\//)
    expect(r.stdout).toMatch(/33 101/)
  })

  it('setEnvironmentVariable passes variables the server accepts', async () => {
    const r = await runCommand(t, 'echo "$XSSH_GREETING"', (ch) => ch.setEnvironmentVariable('XSSH_GREETING', 'hello there'))
    expect(r.stdout).toBe('hello there\n')
  })

  it('invokeShell runs an interactive shell and resizePty changes its size', async () => {
    const ch = await t.openSession()
    ch.getPty({ cols: 80, rows: 24 })
    await ch.invokeShell()
    ch.resizePty(120, 40)
    ch.write('stty size; exit\n')
    const out = (await collect(ch)).toString()
    expect(out).toMatch(/40 120/)
  })

  it('invokeSubsystem starts sftp', async () => {
    const ch = await t.openSession()
    await ch.invokeSubsystem('sftp')
    ch.destroy()
    expect(ch.destroyed).toBe(true)
  })

  it('a refused session (MaxSessions) is a ChannelOpenError and the transport stays usable', async () => {
    await using t = await authenticatedTransport(limited)
    // `cat` holds its session until stdin closes: destroying the channel sends EOF and frees it.
    const held = await Promise.all([0, 1, 2].map(async () => {
      const ch = await t.openSession()
      await ch.exec('cat')
      return ch
    }))
    const ch = await t.openSession()
    const err = await ch.exec('true').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ChannelOpenError)
    await Promise.all(held.map((h) => {
      h.destroy()
      return h.exitStatus()
    }))
    // sshd frees a session slot shortly after the channel closes: retry for a bounded time.
    let stdout = ''
    for (let tries = 0; tries < 40 && stdout === ''; tries++) {
      stdout = await runCommand(t, 'echo still-here').then((r) => r.stdout, async (e: unknown) => {
        expect(e).toBeInstanceOf(ChannelOpenError)
        await new Promise((resolve) => setTimeout(resolve, 100))
        return ''
      })
    }
    expect(stdout).toBe('still-here\n')
  })

  it('runs several commands at once on one transport', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => runCommand(t, `echo ${i}`)),
    )
    expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 8 }, (_, i) => `${i}\n`))
  })
})

describe('session channels on Dropbear', () => {
  it('exec returns output and the exit code', async () => {
    await using d = await authenticatedTransport(dropbear)
    const r = await runCommand(d, 'echo dropbear; exit 3')
    expect(r).toMatchObject({ stdout: 'dropbear\n', code: 3 })
  })
})
