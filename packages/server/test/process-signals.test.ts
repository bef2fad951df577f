import { describe, expect, it } from 'vitest'
import { descendantPids, isProcessAlive, processCommandLine, testUser } from '@x/testbed'
import { lookupUser, runSession, signalName } from '../src/index.js'
import { MemoryChannel } from './support/memory-channel.js'

// OpenSSH's ssh cannot send a `signal` request from its command line, so the channel is in
// memory; the processes and their groups are real.
const waitUntil = async (ok: () => boolean, ms = 5000): Promise<void> => {
  for (const end = Date.now() + ms; !ok(); ) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('signal requests and hang-up', () => {
  it('names signals without SIG', () => {
    expect(signalName(15)).toBe('TERM')
    expect(signalName('SIGKILL')).toBe('KILL')
  })

  it('delivers a signal request to the process group and reports exit-signal', async () => {
    await testUser()
    const channel = new MemoryChannel(undefined)
    const marker = `sleep ${60 + Math.floor(Math.random() * 1000)}`
    const done = runSession(channel, { user: await lookupUser('xssh-test'), command: `echo started; ${marker}` })
    // Signal once sleep runs: a SIGINT that reaches sh between its fork and the wait is held by
    // dash until the child ends, which would make this test wait the whole sleep.
    await waitUntil(() => descendantPids(process.pid).some((pid) => processCommandLine(pid) === marker))
    channel.emit('signal', 'INT')
    const result = await done
    // sh -c may exec sleep or wait for it: either way the group got SIGINT.
    expect(result).toEqual({ exitCode: null, exitSignal: 'INT', hungUp: false })
    expect(channel.exitRecord).toEqual({ signal: 'INT' })
  })

  it('refuses signal requests for a forced command and for names sshd does not know', async () => {
    const channel = new MemoryChannel(undefined)
    const done = runSession(channel, { user: await lookupUser('xssh-test'), forcedCommand: 'echo started; sleep 1; echo survived' })
    await waitUntil(() => channel.stdout.includes('started'))
    channel.emit('signal', 'TERM')
    channel.emit('signal', 'STOP')
    expect(await done).toEqual({ exitCode: 0, exitSignal: null, hungUp: false })
    expect(channel.stdout).toContain('survived')
  })

  it('ends a process that ignores SIGTERM with SIGKILL after the grace period when the channel closes', async () => {
    const channel = new MemoryChannel(undefined)
    const done = runSession(channel, {
      user: await lookupUser('xssh-test'),
      command: "trap '' TERM HUP; echo $$; while :; do sleep 0.1; done",
      killGraceMs: 300,
    })
    await waitUntil(() => /\d+\n/.test(channel.stdout))
    const pid = Number(channel.stdout.trim())
    const started = Date.now()
    channel.destroy()
    const result = await done
    expect(result).toEqual({ exitCode: null, exitSignal: 'KILL', hungUp: true })
    expect(Date.now() - started).toBeLessThan(3000)
    expect(isProcessAlive(pid)).toBe(false)
    expect(channel.exitRecord).toBeUndefined()
  })

  it('aborting the signal ends the session like a hang-up', async () => {
    const channel = new MemoryChannel({ term: 'xterm', cols: 80, rows: 24, width: 0, height: 0, modes: {} })
    const abort = new AbortController()
    const done = runSession(channel, { user: await lookupUser('xssh-test'), command: 'echo up; sleep 60', signal: abort.signal })
    await waitUntil(() => channel.stdout.includes('up'))
    abort.abort()
    expect((await done).hungUp).toBe(true)
    expect(channel.destroyed).toBe(true)
  })
})
