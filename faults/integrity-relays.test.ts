/**
 * Issue #5, integrity: a man-in-the-middle relay in front of real OpenSSH sshd flips one bit
 * of the first encrypted packet after NEWKEYS, in either direction, for every cipher × MAC
 * pair ssh2 and this sshd share. Every attempt must end in a typed error — never a command
 * that ran, never a hang beyond the configured phase bounds. The same relay without a fault is
 * the control: every pair works through it.
 */
import { startMitmRelay, startSshd, type RelayDirection, type SshdHandle } from '@x/testbed'
import { SSHError, TimeoutError } from '@x/transport'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recordFigure } from './support/figures.js'
import {
  ATTEMPT_TIMEOUTS,
  attemptThrough,
  errorLabel,
  isAead,
  pairName,
  runThroughConnection,
  sharedCipherPairs,
  type AttemptOutcome,
  type CipherPair,
} from './support/integrity.js'
import { leakProbe } from './support/leaks.js'

/** Attempts run this many at a time (2 cores, shared). */
const PARALLEL = 4
/** The longest an attempt may take: every phase bound it can be in, plus slack. */
const ATTEMPT_BOUND_MS = ATTEMPT_TIMEOUTS.connectMs + ATTEMPT_TIMEOUTS.handshakeMs + ATTEMPT_TIMEOUTS.authMs + 2 * ATTEMPT_TIMEOUTS.channelMs

let sshd: SshdHandle
let shared: Awaited<ReturnType<typeof sharedCipherPairs>>
beforeAll(async () => {
  shared = await sharedCipherPairs()
  // Everything both sides share is enabled on the server; each client offers exactly one pair.
  sshd = await startSshd({ extraConfig: [`Ciphers ${shared.ciphers.join(',')}`, `MACs ${shared.macs.join(',')}`], logLevel: 'INFO' })
  // Load every module an attempt uses before a leak baseline is taken.
  const warm = await attemptThrough(sshd.port, sshd, { cipher: 'aes128-ctr', mac: 'hmac-sha2-256' })
  if (warm.error !== undefined) throw warm.error
}, 60_000)
afterAll(async () => {
  await sshd?.close()
})

/** Runs `task` over `items`, `PARALLEL` at a time, keeping the order of results. */
async function pool<T, R>(items: readonly T[], task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      results[i] = await task(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(PARALLEL, items.length) }, worker))
  return results
}

/** A command whose 60 KB of output outlasts the login: a flip 16 KiB into the server's stream lands in channel data. */
const LONG_OUTPUT = "head -c 60000 /dev/zero | tr '\\0' x; echo; echo integrity-ok"
/**
 * The same output from a background child after the shell exited: sshd sends exit-status 0
 * first, so the flip always lands after it (the path where a truncated output once looked like
 * success; see packages/transport/test/regressions/output-cut-after-exit-status.test.ts).
 */
const OUTPUT_AFTER_EXIT = "(sleep 0.2; head -c 60000 /dev/zero | tr '\\0' x; echo integrity-ok) & exit 0"

/** Attempts `pair` through a fresh relay applying `fault`; returns the outcome and how many faults the relay applied. */
async function throughRelay(
  pair: CipherPair,
  direction: RelayDirection | 'none',
  options: { offset?: number; command?: string } = {},
): Promise<AttemptOutcome & { faults: number; streams: string }> {
  await using relay = await startMitmRelay(sshd, direction === 'none' ? { kind: 'none' } : { kind: 'flip', direction, offset: options.offset })
  const outcome = await attemptThrough(relay.port, sshd, pair, options.command)
  return { ...outcome, faults: relay.flips, streams: JSON.stringify(relay.streams()) }
}

/** Whether OpenSSH meets a corrupt packet with its CBC countermeasure: it reads on silently before disconnecting. */
function cbcWithoutEtm(pair: CipherPair): boolean {
  return pair.cipher.endsWith('-cbc') && pair.mac !== undefined && !pair.mac.endsWith('-etm@openssh.com')
}

/**
 * The typed error each flip must produce. The client detects a corrupted server packet itself
 * (HandshakeError: ssh2 checks the MAC/tag before anything else). sshd detects a corrupted
 * client packet and drops the connection (ConnectionLostError), except with a CBC cipher and
 * an encrypt-and-MAC MAC: then OpenSSH's countermeasure to the CBC plaintext-recovery attack
 * keeps reading up to 256 KiB before it disconnects, and our handshake timer ends the wait
 * (TimeoutError{phase:'handshake'}).
 */
function expectedError(pair: CipherPair, direction: RelayDirection): string {
  if (direction === 'server-to-client') return 'HandshakeError(ERR_SSH_HANDSHAKE)'
  return cbcWithoutEtm(pair) ? 'TimeoutError(ERR_SSH_TIMEOUT, phase handshake)' : 'ConnectionLostError(ERR_SSH_CONNECTION_LOST)'
}

describe('the shared cipher × MAC pairs', () => {
  it('include every AEAD cipher once and every other cipher with every shared MAC', () => {
    const aead = shared.ciphers.filter(isAead)
    const other = shared.ciphers.filter((c) => !isAead(c))
    expect(aead).toEqual(expect.arrayContaining(['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com']))
    expect(other).toEqual(expect.arrayContaining(['aes128-ctr', 'aes256-ctr']))
    expect(shared.macs).toEqual(expect.arrayContaining(['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-256', 'hmac-sha1']))
    expect(shared.pairs).toHaveLength(aead.length + other.length * shared.macs.length)
    recordFigure({ case: 'bit-flip relay', measure: 'cipher × MAC pairs shared by ssh2 and sshd', value: shared.pairs.length, unit: 'pairs' })
  })
})

describe('a relay without a fault (control)', () => {
  it('carries a login and a command for every shared pair, with that pair negotiated', async () => {
    const outcomes = await pool(shared.pairs, (pair) => throughRelay(pair, 'none'))
    const failed = outcomes.flatMap((o, i) => (o.error === undefined ? [] : [`${pairName(shared.pairs[i]!)}: ${errorLabel(o.error)}`]))
    expect(failed).toEqual([])
    outcomes.forEach((o, i) => {
      const pair = shared.pairs[i]!
      expect(o.stdout?.trim()).toBe('integrity-ok')
      expect(o.negotiated?.cipher).toBe(pair.cipher)
      if (pair.mac !== undefined) expect(o.negotiated?.mac).toBe(pair.mac)
    })
  }, 300_000)
})

for (const direction of ['client-to-server', 'server-to-client'] as const) {
  describe(`one bit flipped ${direction} in the first encrypted packet after NEWKEYS`, () => {
    it('ends every shared pair in its typed error within the phase bounds: never a command that ran, never a hang', async () => {
      const probe = leakProbe()
      const outcomes = await pool(shared.pairs, (pair) => throughRelay(pair, direction))
      for (const [i, o] of outcomes.entries()) {
        const pair = shared.pairs[i]!
        recordFigure({ case: `bit-flip relay ${direction}: ${pairName(pair)}`, measure: `time to ${errorLabel(o.error)}`, value: o.elapsedMs, unit: 'ms', bound: ATTEMPT_BOUND_MS })
      }
      for (const [i, o] of outcomes.entries()) {
        const pair = shared.pairs[i]!
        expect(o.faults, pairName(pair)).toBe(1)
        expect(o.stdout, pairName(pair)).toBeUndefined()
        expect(o.error, `${pairName(pair)}: ${errorLabel(o.error)}`).toBeInstanceOf(SSHError)
        expect(errorLabel(o.error), pairName(pair)).toBe(expectedError(pair, direction))
        expect(o.elapsedMs).toBeLessThanOrEqual(ATTEMPT_BOUND_MS)
        if (o.error instanceof TimeoutError) expect(o.elapsedMs).toBeGreaterThanOrEqual(ATTEMPT_TIMEOUTS.handshakeMs - 50)
        // When the client finished the key exchange before the flipped packet arrived, it was
        // with the pair under test (the client offers nothing else).
        if (direction === 'client-to-server') expect(o.negotiated, pairName(pair)).toBeDefined()
        if (o.negotiated) {
          expect(o.negotiated.cipher, pairName(pair)).toBe(pair.cipher)
          if (pair.mac !== undefined) expect(o.negotiated.mac, pairName(pair)).toBe(pair.mac)
        }
      }
      const report = await probe.check()
      expect(report.problems).toEqual([])
    }, 600_000)
  })
}

describe('one bit flipped server-to-client 16 KiB after NEWKEYS, inside a command\'s output', () => {
  it('ends every shared pair in ConnectionLostError: the command never completes, nothing hangs', async () => {
    const probe = leakProbe()
    const outcomes = await pool(shared.pairs, (pair) => throughRelay(pair, 'server-to-client', { offset: 16 * 1024, command: LONG_OUTPUT }))
    expectOutputNeverCompletes(outcomes, 'bit-flip relay server-to-client in channel data')
    expect((await probe.check()).problems).toEqual([])
  }, 600_000)
})

describe('Connection.run through the same relay, one bit flipped server-to-client inside output sent after exit status 0', () => {
  it('rejects with ConnectionLostError for every shared pair: never a Result, never a hang', async () => {
    const probe = leakProbe()
    const outcomes = await pool(shared.pairs, async (pair) => {
      await using relay = await startMitmRelay(sshd, { kind: 'flip', direction: 'server-to-client', offset: 16 * 1024 })
      const o = await runThroughConnection(relay.port, sshd, pair, OUTPUT_AFTER_EXIT)
      return { ...o, faults: relay.flips, streams: JSON.stringify(relay.streams()) }
    })
    expectOutputNeverCompletes(outcomes, 'bit-flip relay under Connection.run')
    expect((await probe.check()).problems).toEqual([])
  }, 600_000)
})

/**
 * Records each pair's time to its error and asserts the flip was made, no output came back as
 * complete, the error was ConnectionLostError, and it came within the attempt bound.
 */
function expectOutputNeverCompletes(outcomes: readonly (AttemptOutcome & { faults: number; streams: string })[], family: string): void {
  for (const [i, o] of outcomes.entries()) {
    const pair = shared.pairs[i]!
    recordFigure({ case: `${family}: ${pairName(pair)}`, measure: `time to ${errorLabel(o.error)}`, value: o.elapsedMs, unit: 'ms', bound: ATTEMPT_BOUND_MS })
    expect(o.faults, pairName(pair)).toBe(1)
    // On failure, say what came through: the output's length and tail, and the relay's view.
    const seen = `${pairName(pair)}: ${o.stdout?.length ?? '-'} bytes ending ${JSON.stringify(o.stdout?.slice(-20))}; relay ${o.streams}`
    expect(o.stdout, seen).toBeUndefined()
    expect(errorLabel(o.error), seen).toBe('ConnectionLostError(ERR_SSH_CONNECTION_LOST)')
    expect(o.elapsedMs).toBeLessThanOrEqual(ATTEMPT_BOUND_MS)
  }
}
