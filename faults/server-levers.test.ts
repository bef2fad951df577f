/**
 * Server-side levers (issue #5): sshd forcing a rekey every 1 MiB (`RekeyLimit 1M 5s`) under
 * 512 MiB each way, sshd's `UnusedConnectionTimeout` and `ChannelTimeout`, and Dropbear's idle
 * timeout (`-I`). Each must end in a typed error, promptly, with nothing left behind; data must
 * stay byte-exact across hundreds of rekeys.
 */
import { createHash, randomBytes } from 'node:crypto'
import { startDropbear, startSshd, type DropbearHandle, type SshdHandle } from '@x/testbed'
import { SSHError, type SSHError as SSHErrorType } from '@x/connection'
import type { SessionChannel } from '@x/transport'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectionTo } from '../packages/connection/test/helpers.js'
import { recordFigure } from './support/figures.js'
import { leakProbe } from './support/leaks.js'
import { failure, since, within } from './support/outcome.js'

const IDLE_S = 2
let rekeying: SshdHandle
let unused: SshdHandle
let channelTimeout: SshdHandle
let dropbear: DropbearHandle
beforeAll(async () => {
  ;[rekeying, unused, channelTimeout, dropbear] = await Promise.all([
    startSshd({ extraConfig: ['RekeyLimit 1M 5s'], logLevel: 'INFO' }),
    startSshd({ extraConfig: [`UnusedConnectionTimeout ${IDLE_S}`] }),
    startSshd({ extraConfig: [`ChannelTimeout session:command=${IDLE_S}`] }),
    startDropbear({ extraArgs: ['-I', String(IDLE_S)] }),
  ])
  // Load every module a case uses before any leak baseline is taken.
  await using warm = connectionTo(rekeying)
  await warm.run('true')
}, 60_000)
afterAll(async () => {
  await Promise.allSettled([rekeying?.close(), unused?.close(), channelTimeout?.close(), dropbear?.close()])
})

const TOTAL = 512 << 20

/**
 * Resolves with stderr's text and the exit status once stdout and stderr ended, the exit status
 * came and the channel emitted 'close' (within 10 s of the rest).
 */
async function drain(ch: SessionChannel, onStdout: (chunk: Buffer) => void): Promise<{ stderr: string; exit: unknown }> {
  const stderr: Buffer[] = []
  ch.stderr.on('data', (chunk: Buffer) => stderr.push(chunk))
  ch.on('data', onStdout)
  const ended = (stream: NodeJS.EventEmitter): Promise<void> =>
    new Promise((resolve, reject) => {
      stream.once('end', resolve)
      stream.once('error', reject)
    })
  const closed = new Promise<void>((resolve) => ch.once('close', resolve))
  try {
    const [exit] = await Promise.all([ch.exitStatus(), ended(ch), ended(ch.stderr)])
    await within(closed, 10_000, "the channel's 'close' after its end and exit status")
    return { stderr: Buffer.concat(stderr).toString(), exit }
  } catch (err) {
    ch.destroy() // only when something failed: nothing may be left behind for the leak probe
    throw err
  }
}

describe('sshd forcing a rekey every 1 MiB (RekeyLimit 1M 5s)', () => {
  it('downloads 512 MiB of command output byte-exact across hundreds of rekeys', async () => {
    const probe = leakProbe()
    await using c = connectionTo(rekeying, { keepalive: false })
    await c.open()
    let rekeys = 0
    c.transport!.on('rekey', () => rekeys++)
    const hash = createHash('sha256')
    let bytes = 0
    const t0 = performance.now()
    const ch = await c.exec(`bash -c 'head -c ${TOTAL} /dev/urandom | tee >(sha256sum >&2)'`)
    const { stderr, exit } = await within(drain(ch, (chunk) => {
      hash.update(chunk)
      bytes += chunk.length
    }), 300_000, 'the 512 MiB download')
    const seconds = since(t0) / 1000
    expect(bytes).toBe(TOTAL)
    expect(exit).toEqual({ code: 0, signal: null })
    expect(stderr.split(/\s/)[0]).toBe(hash.digest('hex'))
    expect(rekeys).toBeGreaterThanOrEqual(256)
    recordFigure({ case: 'RekeyLimit 1M: 512 MiB down (exec stdout)', measure: 'rekeys seen by the client', value: rekeys, unit: 'rekeys', bound: 256, atLeast: true })
    recordFigure({ case: 'RekeyLimit 1M: 512 MiB down (exec stdout)', measure: 'throughput', value: Math.round(512 / seconds), unit: 'MiB/s' })
    await c.close()
    expect((await probe.check()).problems).toEqual([])
  }, 320_000)

  it('uploads 512 MiB of sequence-numbered data byte-exact across hundreds of rekeys', async () => {
    const probe = leakProbe()
    await using c = connectionTo(rekeying, { keepalive: false })
    await c.open()
    let rekeys = 0
    c.transport!.on('rekey', () => rekeys++)
    const block = randomBytes(1 << 20)
    const sent = createHash('sha256')
    const stdout: Buffer[] = []
    const t0 = performance.now()
    const ch = await c.exec('sha256sum')
    const done = drain(ch, (chunk) => stdout.push(chunk))
    let offset = 0
    await new Promise<void>((resolve, reject) => {
      ch.once('error', reject)
      const write = (): void => {
        while (offset < TOTAL) {
          const chunk = Buffer.from(block)
          chunk.writeUInt32BE(offset / (1 << 20), 0) // the MiB's sequence number
          sent.update(chunk)
          offset += chunk.length
          if (!ch.write(chunk)) return void ch.once('drain', write)
        }
        ch.end()
        resolve()
      }
      write()
    })
    await within(done, 300_000, 'the 512 MiB upload')
    const seconds = since(t0) / 1000
    expect(Buffer.concat(stdout).toString().split(/\s/)[0]).toBe(sent.digest('hex'))
    // An upload sees fewer key exchanges than a download through the same limit (242–317 seen
    // here, against ~990 down): the floor proves the lever works — over a hundred rekeys under
    // 512 MiB — without depending on when sshd gets round to starting each one.
    expect(rekeys).toBeGreaterThanOrEqual(128)
    recordFigure({ case: 'RekeyLimit 1M: 512 MiB up (exec stdin)', measure: 'rekeys seen by the client', value: rekeys, unit: 'rekeys', bound: 128, atLeast: true })
    recordFigure({ case: 'RekeyLimit 1M: 512 MiB up (exec stdin)', measure: 'throughput', value: Math.round(512 / seconds), unit: 'MiB/s' })
    await c.close()
    expect((await probe.check()).problems).toEqual([])
  }, 320_000)
})

describe('servers that end idle connections and channels', () => {
  const bound = IDLE_S * 1000 + 3_000

  it(`sshd UnusedConnectionTimeout ${IDLE_S}: an unused connection closes with ConnectionLostError in time; the Connection dials again`, async () => {
    const probe = leakProbe()
    const c = connectionTo(unused)
    await c.open()
    const t0 = performance.now()
    const err = await within(new Promise<SSHErrorType | undefined>((resolve) => c.transport!.once('close', resolve)), bound + 5_000, 'the server closing')
    const elapsed = since(t0)
    expect(err).toBeInstanceOf(SSHError)
    expect(err!.code).toBe('ERR_SSH_CONNECTION_LOST')
    expect(elapsed).toBeGreaterThanOrEqual(IDLE_S * 1000 - 500)
    expect(elapsed).toBeLessThanOrEqual(bound)
    expect(c.isConnected).toBe(false)
    recordFigure({ case: `sshd UnusedConnectionTimeout ${IDLE_S}`, measure: 'time to ConnectionLostError', value: elapsed, unit: 'ms', bound })
    expect((await c.run('echo again')).stdout).toBe('again\n')
    await c.close()
    expect((await probe.check()).problems).toEqual([])
  })

  it(`sshd ChannelTimeout session:command=${IDLE_S}: a silent run() ends in a typed error in time; the connection stays usable`, async () => {
    const probe = leakProbe()
    const c = connectionTo(channelTimeout)
    await c.open()
    const t0 = performance.now()
    const err = await within(failure(c.run('sleep 30')), bound + 5_000, 'run() ending')
    const elapsed = since(t0)
    expect(err).toBeInstanceOf(SSHError)
    recordFigure({ case: `sshd ChannelTimeout session:command=${IDLE_S}`, measure: `time to ${(err as SSHErrorType).code}`, value: elapsed, unit: 'ms', bound })
    expect(elapsed).toBeLessThanOrEqual(bound)
    expect(c.isConnected).toBe(true)
    expect((await c.run('echo still here')).stdout).toBe('still here\n')
    await c.close()
    expect((await probe.check()).problems).toEqual([])
  })

  it(`Dropbear -I ${IDLE_S}: a silent run() rejects with ConnectionLostError in time`, async () => {
    const probe = leakProbe()
    const c = connectionTo(dropbear, { keepalive: false })
    await c.open()
    const t0 = performance.now()
    const err = await within(failure(c.run('sleep 30')), bound + 5_000, 'run() ending')
    const elapsed = since(t0)
    expect(err).toBeInstanceOf(SSHError)
    expect((err as SSHErrorType).code).toBe('ERR_SSH_CONNECTION_LOST')
    expect(elapsed).toBeGreaterThanOrEqual(IDLE_S * 1000 - 500)
    expect(elapsed).toBeLessThanOrEqual(bound)
    expect(c.isConnected).toBe(false)
    recordFigure({ case: `Dropbear -I ${IDLE_S}`, measure: 'time to ConnectionLostError (silent run)', value: elapsed, unit: 'ms', bound })
    await c.close()
    expect((await probe.check()).problems).toEqual([])
  })
})
