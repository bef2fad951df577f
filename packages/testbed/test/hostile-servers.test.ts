import { connect } from 'node:net'
import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import { DRIP_BANNER, startHostileBannerServer, type HostileBanner } from '../src/index.js'

/** Connects, reads for `ms`, and returns every chunk received, with arrival times. */
async function readFor(port: number, ms: number): Promise<{ chunks: Buffer[]; times: number[]; stillOpen: boolean }> {
  const socket = connect({ host: '127.0.0.1', port })
  socket.on('error', () => {})
  await once(socket, 'connect')
  const chunks: Buffer[] = []
  const times: number[] = []
  const started = Date.now()
  socket.on('data', (c: Buffer) => {
    chunks.push(c)
    times.push(Date.now() - started)
  })
  await new Promise((resolve) => setTimeout(resolve, ms))
  const stillOpen = !socket.destroyed && socket.readyState === 'open'
  socket.destroy()
  return { chunks, times, stillOpen }
}

async function received(kind: HostileBanner, ms = 300): Promise<{ bytes: Buffer; stillOpen: boolean }> {
  await using server = await startHostileBannerServer(kind)
  const { chunks, stillOpen } = await readFor(server.port, ms)
  return { bytes: Buffer.concat(chunks), stillOpen }
}

describe('startHostileBannerServer', () => {
  it("'garbage' sends 512 bytes with no CR, LF or SSH- line, then stays open", async () => {
    const { bytes, stillOpen } = await received('garbage')
    expect(bytes.length).toBe(512)
    expect(bytes.includes(0x0a) || bytes.includes(0x0d)).toBe(false)
    expect(bytes.includes('SSH-')).toBe(false)
    expect(stillOpen).toBe(true)
  })

  it("'many-lines' sends 2,000 short lines that are not identification lines", async () => {
    const { bytes, stillOpen } = await received('many-lines')
    const lines = bytes.toString().split('\r\n').filter((l) => l !== '')
    expect(lines).toHaveLength(2000)
    expect(lines.every((l) => l.length < 16 && !l.startsWith('SSH-'))).toBe(true)
    expect(stillOpen).toBe(true)
  })

  it("'long-line' sends 10 KB without a newline", async () => {
    const { bytes, stillOpen } = await received('long-line')
    expect(bytes.length).toBe(10 * 1024)
    expect(bytes.includes(0x0a)).toBe(false)
    expect(stillOpen).toBe(true)
  })

  it("'ssh-1.5' sends an SSH-1.5 identification line", async () => {
    const { bytes } = await received('ssh-1.5')
    expect(bytes.toString()).toBe('SSH-1.5-OpenSSH_1.2.3\r\n')
  })

  it("'drip' sends a valid-looking identification line one byte per interval", async () => {
    await using server = await startHostileBannerServer('drip', { dripIntervalMs: 40 })
    const { chunks, times } = await readFor(server.port, 40 * DRIP_BANNER.length + 1500)
    expect(Buffer.concat(chunks).toString()).toBe(DRIP_BANNER)
    expect(chunks.every((c) => c.length === 1)).toBe(true)
    // The last byte cannot arrive before (length - 1) intervals after the first.
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(40 * (DRIP_BANNER.length - 1) - 40)
  })

  it("'drip' defaults to one byte a second", async () => {
    await using server = await startHostileBannerServer('drip')
    const { chunks } = await readFor(server.port, 2_500)
    const bytes = Buffer.concat(chunks).length
    expect(bytes).toBeGreaterThanOrEqual(1)
    expect(bytes).toBeLessThanOrEqual(3)
  })

  it('rejects a non-positive drip interval', async () => {
    await expect(startHostileBannerServer('drip', { dripIntervalMs: 0 })).rejects.toBeInstanceOf(RangeError)
  })
})
