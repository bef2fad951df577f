/**
 * Authentication abuse (issue #5): keyboard-interactive answers that are empty, 1 KB long, 90
 * lines long, or 90 answers to one prompt fail cleanly against real sshd + PAM with
 * AuthenticationError, bounded, leaving nothing behind, and the next connection still works.
 * A host-key verifier that throws, rejects, answers a truthy non-boolean or never settles makes
 * the connection fail within the handshake bound (HostKeyError, or TimeoutError{phase:'handshake'}
 * for the one that never settles; DESIGN.md §3 "Host keys", "Liveness") and never authenticates,
 * even when the verifier settles with `true` after the timeout.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { startSshd, type SshdHandle } from '@x/testbed'
import {
  AuthenticationError,
  Connection,
  HostKeyError,
  TimeoutError,
  type ConnectionOptions,
  type SSHError,
} from '@x/connection'
import type { HostKeyVerifier } from '@x/transport'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configFor } from '../packages/connection/test/helpers.js'
import { recordFigure } from './support/figures.js'
import { leakProbe } from './support/leaks.js'
import { failure, since } from './support/outcome.js'

let kiSshd: SshdHandle
let keySshd: SshdHandle
beforeAll(async () => {
  ;[kiSshd, keySshd] = await Promise.all([startSshd({ auth: 'keyboard-interactive' }), startSshd()])
})
afterAll(async () => {
  await Promise.all([kiSshd?.close(), keySshd?.close()])
})

/** How many logins sshd accepted so far, by its log. */
async function acceptedLogins(server: SshdHandle): Promise<number> {
  return ((await server.log()).match(/Accepted [\w-]+ for /g) ?? []).length
}

/** A Connection to the keyboard-interactive sshd answering every prompt with `answers(n)`. */
function kiConnection(answers: (promptCount: number) => string[]): Connection {
  return new Connection('target', {
    config: configFor(kiSshd),
    auth: { agent: false, lookForKeys: false, interactive: (_title, _instructions, prompts) => answers(prompts.length) },
  })
}

describe('keyboard-interactive answers that PAM must refuse', () => {
  const KIB = 'k'.repeat(1024)
  const NINETY_LINES = Array.from({ length: 90 }, (_, i) => `line ${i} of a pasted answer`).join('\n')
  const cases: ReadonlyArray<[string, (n: number) => string[]]> = [
    ['an empty answer', (n) => Array.from({ length: n }, () => '')],
    ['a 1 KB answer', (n) => Array.from({ length: n }, () => KIB)],
    ['a 90-line answer', (n) => Array.from({ length: n }, () => NINETY_LINES)],
    ['90 answers to one prompt', () => Array.from({ length: 90 }, (_, i) => `answer ${i}`)],
  ]

  for (const [name, answers] of cases) {
    it(`fails ${name} with AuthenticationError within 10 s, leaving nothing, and the next login works`, async () => {
      const probe = leakProbe()
      const accepted = await acceptedLogins(kiSshd)
      const c = kiConnection(answers)
      const t0 = performance.now()
      const err = await failure(c.open())
      const elapsed = since(t0)
      await c.close()
      expect(err).toBeInstanceOf(AuthenticationError)
      expect((err as AuthenticationError).code).toBe('ERR_SSH_AUTH')
      expect((err as AuthenticationError).triedMethods).toContain('keyboard-interactive')
      expect(c.isConnected).toBe(false)
      // PAM's failure delay (~2 s) is most of it.
      expect(elapsed).toBeLessThan(10_000)
      recordFigure({ case: `keyboard-interactive abuse: ${name}`, measure: 'time to AuthenticationError', value: elapsed, unit: 'ms', bound: 10_000 })
      const acceptedAfterFailure = await acceptedLogins(kiSshd)
      // The server still takes the right answer, on a new connection.
      const ok = kiConnection((n) => Array.from({ length: n }, () => kiSshd.password))
      try {
        expect((await ok.run('echo in')).stdout).toBe('in\n')
      } finally {
        await ok.close()
      }
      await expect.poll(() => kiSshd.connectionPids(), { timeout: 5_000 }).toEqual([])
      expect((await probe.check()).problems).toEqual([])
      expect(acceptedAfterFailure).toBe(accepted)
    }, 30_000)
  }
})

describe('host-key verifiers that misbehave', () => {
  const handshakeMs = 1_500
  /** A Connection to the publickey sshd whose host-key check is `verifier`. */
  const withVerifier = (verifier: HostKeyVerifier, options: ConnectionOptions = {}): Connection =>
    new Connection('target', { config: configFor(keySshd), connectTimeoutMs: handshakeMs, hostKeys: { policy: verifier }, ...options })

  const rejecting: ReadonlyArray<[string, HostKeyVerifier]> = [
    ['throws', () => {
      throw new Error('verifier bug')
    }],
    ['rejects asynchronously', async () => {
      await sleep(10)
      throw new Error('async verifier bug')
    }],
    ['resolves a truthy non-boolean', async () => 1 as unknown as boolean],
    ['resolves false', async () => false],
  ]

  for (const [name, verifier] of rejecting) {
    it(`rejects with HostKeyError within the handshake bound when the verifier ${name}, never authenticating`, async () => {
      const probe = leakProbe()
      const accepted = await acceptedLogins(keySshd)
      let calls = 0
      const c = withVerifier((key, target) => {
        calls++
        return verifier(key, target)
      })
      const t0 = performance.now()
      const err = await failure(c.open())
      const elapsed = since(t0)
      await c.close()
      expect(calls).toBe(1)
      expect(err).toBeInstanceOf(HostKeyError)
      expect((err as HostKeyError).reason).toBe('rejected')
      expect(elapsed).toBeLessThan(handshakeMs)
      recordFigure({ case: `host-key verifier ${name}`, measure: 'time to HostKeyError', value: elapsed, unit: 'ms', bound: handshakeMs })
      expect(c.isConnected).toBe(false)
      // The probe comes before reading sshd's log, which leaves a file-close request in flight.
      expect((await probe.check()).problems).toEqual([])
      expect(await acceptedLogins(keySshd)).toBe(accepted)
    })
  }

  it("fails with TimeoutError{phase:'handshake'} when the verifier never settles, and a late `true` never authenticates", async () => {
    const probe = leakProbe()
    const accepted = await acceptedLogins(keySshd)
    let settle: ((ok: boolean) => void) | undefined
    const c = withVerifier(() => new Promise<boolean>((resolve) => (settle = resolve)))
    const t0 = performance.now()
    const err = await failure(c.open())
    const elapsed = since(t0)
    expect(settle).toBeDefined()
    expect(err).toBeInstanceOf(TimeoutError)
    expect((err as SSHError).code).toBe('ERR_SSH_TIMEOUT')
    expect((err as TimeoutError).phase).toBe('handshake')
    expect(elapsed).toBeGreaterThanOrEqual(handshakeMs - 50)
    expect(elapsed).toBeLessThan(handshakeMs + 1_500)
    recordFigure({ case: 'host-key verifier never settles', measure: 'time to TimeoutError{handshake}', value: elapsed, unit: 'ms', bound: handshakeMs + 1_500 })
    // The verifier answers yes too late: nothing comes back to life.
    settle!(true)
    await sleep(300)
    expect(c.isConnected).toBe(false)
    await c.close()
    await expect.poll(() => keySshd.connectionPids(), { timeout: 5_000 }).toEqual([])
    expect((await probe.check()).problems).toEqual([])
    expect(await acceptedLogins(keySshd)).toBe(accepted)
  })
})
