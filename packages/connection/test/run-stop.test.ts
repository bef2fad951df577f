import { randomInt } from 'node:crypto'
import { startDropbear, startSshd, type SshServerHandle } from '@x/testbed'
import { commandStopOf, TimeoutError, type Connection } from '@x/connection'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectionTo } from './helpers.js'

// A timeout or an abort must stop the remote command, not only the local wait: each case starts
// a compound command (the shell forks `sleep`, so killing the shell alone would orphan it) and
// asks a second connection whether anything carrying its marker still runs one second later —
// plus the login shell's own start-up, which no stop can beat: a root .bashrc that sets up pyenv
// takes seconds before the command starts, and the stop's second session pays it once more.
// Then the claim the rejection makes (mayStillRun: false) must hold within 1 s of it, and the
// rejection itself comes within the stop's bound: the pid wait, two kill sessions at most.
const STOP_BOUND_MS = 300 + 2 * 6_000 + 1_000

type Login = 'test user' | 'root'

let servers: Record<'sshd' | 'dropbear', SshServerHandle>
const open: Connection[] = []

beforeAll(async () => {
  const [sshd, dropbear] = await Promise.all([
    // sshd keeps the first PermitRootLogin; AllowUsers lines add up.
    startSshd({ extraConfig: ['PermitRootLogin prohibit-password', 'AllowUsers root'] }),
    startDropbear({ rootLogin: true }),
  ])
  servers = { sshd, dropbear }
})
afterAll(async () => {
  await Promise.all(open.map((c) => c.close()))
  await Promise.all([servers?.sshd.close(), servers?.dropbear.close()])
})

function connect(server: SshServerHandle, login: Login): Connection {
  const c = connectionTo(server, {}, login === 'root' ? ['User root'] : [])
  open.push(c)
  return c
}

/** Resolves true once nothing on the server matches `marker`, false if something still does at `deadline`. */
async function goneBy(probe: Connection, marker: string, deadline: number): Promise<boolean> {
  for (;;) {
    // The bracket keeps pgrep's own shell from matching.
    const r = await probe.run(`pgrep -f '[s]leep ${marker}'`, { warn: true })
    if (r.exitCode === 1) return Date.now() <= deadline
    if (Date.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Kills what a failed case left, as the user that started it. */
async function cleanUp(owner: Connection, marker: string): Promise<void> {
  await owner.run(`pkill -KILL -f '[s]leep ${marker}'`, { warn: true })
}

describe.each(['sshd', 'dropbear'] as const)('run() on %s stops the remote command', (kind) => {
  describe.each(['test user', 'root'] as const)('as the %s', (login) => {
    let c: Connection
    let probe: Connection
    let startup = 0
    beforeAll(async () => {
      c = connect(servers[kind], login)
      probe = connect(servers[kind], 'test user')
      await Promise.all([c.open(), probe.open()])
      const before = Date.now()
      await c.run(':')
      startup = Date.now() - before
    })

    it('kills the command and its children within 1 s of timeoutMs (plus the login shell start-up), and says how', async () => {
      const marker = `41.${randomInt(1e9)}`
      const started = Date.now()
      const err = await c.run(`sleep ${marker}; echo after`, { timeoutMs: 300 }).catch((e: unknown) => e)
      const rejectedAt = Date.now()
      try {
        expect(rejectedAt - started).toBeLessThan(300 + STOP_BOUND_MS)
        expect(err).toBeInstanceOf(TimeoutError)
        expect((err as TimeoutError).phase).toBe('command')
        expect((err as TimeoutError).stop).toMatchObject({ mayStillRun: false })
        expect(await goneBy(probe, marker, Math.max(started + 300 + 1000 + startup, rejectedAt + 1000))).toBe(true)
      } finally {
        await cleanUp(c, marker)
      }
    })

    it('kills the command and its children within 1 s of an abort (plus the login shell start-up), keeping the reason as the rejection', async () => {
      const marker = `41.${randomInt(1e9)}`
      const controller = new AbortController()
      const reason = new Error('stop')
      let abortedAt = Infinity
      setTimeout(() => {
        abortedAt = Date.now()
        controller.abort(reason)
      }, 300)
      const err = await c.run(`sleep ${marker}; echo after`, { signal: controller.signal }).catch((e: unknown) => e)
      const rejectedAt = Date.now()
      try {
        expect(rejectedAt - abortedAt).toBeLessThan(STOP_BOUND_MS)
        expect(err).toBe(reason)
        expect(commandStopOf(err)).toMatchObject({ mayStillRun: false })
        expect(await goneBy(probe, marker, Math.max(abortedAt + 1000 + startup, rejectedAt + 1000))).toBe(true)
      } finally {
        await cleanUp(c, marker)
      }
    })
  })
})
