/**
 * Issue #5, hostile peers: servers that never speak, greet with garbage, or drip their banner.
 * Each must end in HandshakeError or TimeoutError{phase:'handshake'} within the configured
 * handshake bound (plus slack for a shared 2-core machine), and a closed port in ConnectError
 * within 100 ms, at the Transport and at the Connection level, leaving nothing behind.
 */
import { Connection } from '@x/connection'
import { HOSTILE_BANNERS, closedPort, startHostileBannerServer, startSilentServer, type TcpServerHandle } from '@x/testbed'
import { ConnectError, HandshakeError, SSHError, TimeoutError, Transport, insecureAcceptAnyHostKey } from '@x/transport'
import { describe, expect, it } from 'vitest'
import { recordFigure } from './support/figures.js'
import { leakProbe } from './support/leaks.js'
import { failure, since, within } from './support/outcome.js'

/** The handshake bound the cases configure. */
const HANDSHAKE_MS = 2_000
/** Scheduling slack on a contended 2-core machine. */
const SLACK_MS = 1_500
/** Issue #5: a closed port fails with ConnectError in under 100 ms. */
const CLOSED_PORT_MS = 100

type Level = 'Transport' | 'Connection'

/** Starts the client side at `level` against 127.0.0.1:`port` and returns how it failed (undefined: it did not). */
async function failureAt(level: Level, port: number): Promise<unknown> {
  if (level === 'Transport') {
    const t = new Transport(`127.0.0.1:${port}`, {
      hostKeyVerifier: insecureAcceptAnyHostKey(),
      timeouts: { connectMs: HANDSHAKE_MS, handshakeMs: HANDSHAKE_MS },
    })
    const err = await failure(t.startClient())
    if (err === undefined) await t.close()
    return err
  }
  const c = new Connection(`xssh-test@127.0.0.1:${port}`, {
    config: false,
    connectTimeoutMs: HANDSHAKE_MS,
    hostKeys: { policy: 'off' },
    auth: { agent: false, lookForKeys: false },
    keepalive: false,
  })
  const err = await failure(c.open())
  await c.close()
  return err
}

/** Whether `err` is one of the two outcomes the issue allows for a hostile greeting. */
function isHandshakeFailure(err: unknown): boolean {
  return err instanceof HandshakeError || (err instanceof TimeoutError && err.phase === 'handshake')
}

/** The error's class and code, as the figures name them. */
function describeError(err: unknown): string {
  return err instanceof SSHError ? `${err.name}(${err.code}${err instanceof TimeoutError ? `, phase ${err.phase}` : ''})` : String(err)
}

for (const level of ['Transport', 'Connection'] as const) {
  describe(`hostile peers at the ${level} level`, () => {
    const peers: Array<[string, () => Promise<TcpServerHandle>]> = [
      ['silent server (accepts, never speaks)', () => startSilentServer()],
      ...HOSTILE_BANNERS.map((kind): [string, () => Promise<TcpServerHandle>] => [`hostile banner: ${kind}`, () => startHostileBannerServer(kind)]),
    ]
    for (const [name, start] of peers) {
      // ssh2 1.17 refuses 1,025 greeting lines, an 8 KiB line and a non-2.0 version itself; a
      // peer that never ends a line or drips is left to our handshake timer.
      const expected = /many-lines|long-line|ssh-1\.5/.test(name) ? HandshakeError : TimeoutError
      it(`${name} → HandshakeError or TimeoutError{phase:'handshake'} within ${HANDSHAKE_MS} ms + ${SLACK_MS} ms, nothing leaked`, async () => {
        const probe = leakProbe()
        const server = await start()
        let err: unknown
        let elapsed: number
        try {
          const t0 = performance.now()
          err = await within(failureAt(level, server.port), HANDSHAKE_MS + SLACK_MS + 5_000, name)
          elapsed = since(t0)
        } finally {
          await server.close()
        }
        expect(isHandshakeFailure(err), describeError(err)).toBe(true)
        expect(err, describeError(err)).toBeInstanceOf(expected)
        expect(elapsed).toBeLessThanOrEqual(HANDSHAKE_MS + SLACK_MS)
        if (err instanceof TimeoutError) {
          expect(err.timeoutMs).toBe(HANDSHAKE_MS)
          // A timer that fired is never early.
          expect(elapsed).toBeGreaterThanOrEqual(HANDSHAKE_MS - 50)
        }
        recordFigure({ case: `${name} (${level})`, measure: `time to ${describeError(err)}`, value: elapsed, unit: 'ms', bound: HANDSHAKE_MS + SLACK_MS })
        const report = await probe.check()
        recordFigure({ case: `${name} (${level})`, measure: 'fd growth after close', value: report.fdGrowth, unit: 'fds', bound: 2 })
        expect(report.problems).toEqual([])
      })
    }

    it(`closed port → ConnectError in under ${CLOSED_PORT_MS} ms, nothing leaked`, async () => {
      const probe = leakProbe()
      const port = await closedPort()
      // The first dial of a process pays for lazy module loading; the figure is the steady state.
      await failureAt(level, port)
      const times: number[] = []
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now()
        const err = await failureAt(level, port)
        times.push(since(t0))
        expect(err).toBeInstanceOf(ConnectError)
        expect((err as ConnectError).code).toBe('ERR_SSH_CONNECT')
        expect((err as ConnectError).port).toBe(port)
      }
      const worst = Math.max(...times)
      recordFigure({ case: `closed port (${level})`, measure: 'time to ConnectError, worst of 5', value: worst, unit: 'ms', bound: CLOSED_PORT_MS })
      expect(worst).toBeLessThan(CLOSED_PORT_MS)
      expect((await probe.check()).problems).toEqual([])
    })
  })
}
