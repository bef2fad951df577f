// Regression: a Channel whose caller never called end() never emitted 'close'. The Channel is
// a half-open Duplex (allowHalfOpen), so after the server's EOF + CLOSE its readable side ended
// but its writable side stayed open, and Node only auto-destroys (emits 'close') once both are
// done. ssh2 itself had closed the channel (it answered CLOSE and emitted its own 'close').
// First reported as "under sshd's RekeyLimit 1M the channel never closes"; the rekeys were
// incidental: a plain `echo` hung the same way.
import { startSshd, type SshdHandle } from '@x/testbed'
import { ConnectionLostError, type Channel, type Transport } from '@x/transport'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { authenticatedTransport } from '../helpers.js'

let sshd: SshdHandle
let t: Transport
beforeAll(async () => {
  sshd = await startSshd({ extraConfig: ['RekeyLimit 1M 5s'] })
  t = await authenticatedTransport(sshd)
})
afterAll(async () => {
  await t?.close()
  await sshd?.close()
})

/** Resolves with the ms from the stdout 'end' to 'close', or null when 'close' did not come within `ms`. */
function closeAfterEnd(ch: Channel, ms: number): Promise<number | null> {
  return new Promise((resolve) => {
    let endedAt: number | undefined
    ch.once('end', () => (endedAt = performance.now()))
    const timer = setTimeout(() => resolve(null), ms)
    ch.once('close', () => {
      clearTimeout(timer)
      resolve(performance.now() - (endedAt ?? performance.now()))
    })
  })
}

it('emits close after a command exits, although stdin was never ended', async () => {
  const ch = await t.openSession()
  await ch.exec('echo hi')
  let out = ''
  ch.on('data', (chunk: Buffer) => (out += chunk.toString()))
  ch.stderr.resume()
  try {
    expect(await closeAfterEnd(ch, 5_000)).not.toBeNull()
    expect(out).toBe('hi\n')
    expect(await ch.exitStatus()).toEqual({ code: 0, signal: null })
  } finally {
    ch.destroy()
  }
})

it('emits close after 64 MiB of output across sshd-forced rekeys (RekeyLimit 1M)', async () => {
  let rekeys = 0
  const onRekey = (): void => void rekeys++
  t.on('rekey', onRekey)
  const ch = await t.openSession()
  await ch.exec('head -c 64M /dev/zero')
  let bytes = 0
  ch.on('data', (chunk: Buffer) => (bytes += chunk.length))
  ch.stderr.resume()
  try {
    expect(await closeAfterEnd(ch, 30_000)).not.toBeNull()
    expect(bytes).toBe(64 << 20)
    expect(await ch.exitStatus()).toEqual({ code: 0, signal: null })
    expect(rekeys).toBeGreaterThanOrEqual(32)
  } finally {
    t.off('rekey', onRekey)
    ch.destroy()
  }
}, 45_000)

it('waits with close until the output was read, and fails a later write with ConnectionLostError', async () => {
  const ch = await t.openSession()
  await ch.exec('echo unread')
  ch.stderr.resume()
  try {
    let closed = false
    ch.once('close', () => (closed = true))
    // The server's CLOSE ends the writable side at once: nothing can be sent any more.
    const t0 = performance.now()
    while (ch.writable && performance.now() - t0 < 5_000) await new Promise((resolve) => setTimeout(resolve, 20))
    expect(ch.writable).toBe(false)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(closed).toBe(false) // 'close' follows 'end', which follows the last read
    const writeError = new Promise<Error | null | undefined>((resolve) => ch.write('late', resolve))
    ch.on('error', () => {})
    expect(await writeError).toBeInstanceOf(ConnectionLostError) // not Node's 'write after end'
    expect(ch.destroyed).toBe(true) // a failed write destroys the stream, as before
  } finally {
    ch.destroy()
  }
})
