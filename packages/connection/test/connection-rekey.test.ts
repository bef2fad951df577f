/**
 * ssh_config's RekeyLimit drives `Transport.renegotiateKeys()`: by bytes either way (counted on
 * the transport's stream) and by time. Proven against a real OpenSSH sshd; every byte checked.
 */
import { randomBytes } from 'node:crypto'
import { startSshd, type SshdHandle } from '@x/testbed'
import type { Connection } from '@x/connection'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectionTo } from './helpers.js'

const MiB = 1024 * 1024

let sshd: SshdHandle
beforeAll(async () => {
  sshd = await startSshd()
})
afterAll(async () => {
  await sshd?.close()
})

/** Counts the key re-exchanges of `c`'s transport from now on. */
function countRekeys(c: Connection): { readonly count: number } {
  const counter = { count: 0 }
  c.transport!.on('rekey', () => counter.count++)
  return counter
}

/** Sends `data` up (exec stdin into a remote temp file), then reads it back (exec stdout); returns the rekeys of each leg. */
async function roundTrip(c: Connection, data: Buffer): Promise<{ up: number; down: number; back: Buffer }> {
  const up = countRekeys(c)
  const file = (await c.run('f=$(mktemp) && cat > "$f" && printf %s "$f"', { stdin: data })).stdout
  const upCount = up.count
  const down = countRekeys(c)
  const back = (await c.run(`cat '${file}'; rm -f '${file}'`, { encoding: 'buffer' })).stdout
  return { up: upCount, down: down.count, back }
}

describe('RekeyLimit', () => {
  it('rekeys a 16 MiB upload and a 16 MiB download under RekeyLimit 1M, byte-exact', async () => {
    await using c = connectionTo(sshd, {}, ['RekeyLimit 1M'])
    await c.open()
    const data = randomBytes(16 * MiB)
    const { up, down, back } = await roundTrip(c, data)
    expect(back.equals(data)).toBe(true)
    // 16 MiB against a 1 MiB limit is at most 16 exchanges. Fewer happen: what is in flight when
    // one starts still moves under the old keys (seen here: 9–10 down; 5 up, where the socket
    // has taken a window's worth of writes ahead of the wire).
    expect(up).toBeGreaterThanOrEqual(3)
    expect(up).toBeLessThanOrEqual(16)
    expect(down).toBeGreaterThanOrEqual(5)
    expect(down).toBeLessThanOrEqual(16)
  })

  it('leaves the keys alone without RekeyLimit (the default), byte-exact', async () => {
    await using c = connectionTo(sshd)
    await c.open()
    const data = randomBytes(16 * MiB)
    const { up, down, back } = await roundTrip(c, data)
    expect(back.equals(data)).toBe(true)
    expect({ up, down }).toEqual({ up: 0, down: 0 })
  })

  it('rekeys after the time limit with RekeyLimit default 1, and again after the next', async () => {
    await using c = connectionTo(sshd, {}, ['RekeyLimit default 1'])
    await c.open()
    const rekeys = countRekeys(c)
    await new Promise((resolve) => setTimeout(resolve, 2_600))
    expect(rekeys.count).toBeGreaterThanOrEqual(2)
    expect(rekeys.count).toBeLessThanOrEqual(3)
    expect((await c.run('echo still')).stdout).toBe('still\n')
  })
})
