import { randomInt } from 'node:crypto'
import { startDropbear, startSshd, type SshServerHandle } from '@x/testbed'
import { commandStopOf, TimeoutError, type Connection } from '@x/connection'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectionTo } from './helpers.js'

// A timeout or an abort must stop the remote command, not only the local wait: each case starts
// a compound command (the shell forks `sleep`, so killing the shell alone would orphan it) and
// asks a second connection whether anything carrying its marker still runs one second later.

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
    beforeAll(async () => {
      c = connect(servers[kind], login)
      probe = connect(servers[kind], 'test user')
      await Promise.all([c.open(), probe.open()])
    })

    it('kills the command and its children within 1 s of timeoutMs, and says how', async () => {
      const marker = `41.${randomInt(1e9)}`
      const started = Date.now()
      const err = await c.run(`sleep ${marker}; echo after`, { timeoutMs: 300 }).catch((e: unknown) => e)
      try {
        expect(err).toBeInstanceOf(TimeoutError)
        expect((err as TimeoutError).phase).toBe('command')
        expect((err as TimeoutError).stop).toMatchObject({ mayStillRun: false })
        expect(await goneBy(probe, marker, started + 300 + 1000)).toBe(true)
      } finally {
        await cleanUp(c, marker)
      }
    })

    it('kills the command and its children within 1 s of an abort, keeping the reason as the rejection', async () => {
      const marker = `41.${randomInt(1e9)}`
      const controller = new AbortController()
      const reason = new Error('stop')
      let abortedAt = Infinity
      setTimeout(() => {
        abortedAt = Date.now()
        controller.abort(reason)
      }, 300)
      const err = await c.run(`sleep ${marker}; echo after`, { signal: controller.signal }).catch((e: unknown) => e)
      try {
        expect(err).toBe(reason)
        expect(commandStopOf(err)).toMatchObject({ mayStillRun: false })
        expect(await goneBy(probe, marker, abortedAt + 1000)).toBe(true)
      } finally {
        await cleanUp(c, marker)
      }
    })
  })
})
