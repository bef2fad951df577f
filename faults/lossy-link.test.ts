/**
 * Integrity over a lossy link (issue #5): inside the isolated site, 5 % of all packets on the
 * namespace's loopback are dropped at random (see setRandomLoss: this kernel has no netem, so
 * there is loss but no added delay; if even that is missing, the cases run on the clean link and
 * record it). 200 concurrent channels through sshd to an echo server in the site, and a 2-hop
 * local forward (bastion → inner) to it, each carrying sequence-numbered data checked on return.
 */
import { createConnection, type Server, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { listenInNetns, startSite, waitFor, type SiteHandle } from '@x/testbed'
import { Connection } from '@x/connection'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { siteConfig } from '../packages/connection/test/site-helpers.js'
import { recordFigure } from './support/figures.js'
import { leakProbe } from './support/leaks.js'
import { since, within } from './support/outcome.js'
import { randomLossDrops, setRandomLoss } from './support/random-loss.js'

const LOSS_PERCENT = 5
let site: SiteHandle
let config: { text: string }
let echo: Server
let echoPort: number
let link: string
const echoSockets = new Set<Socket>()
beforeAll(async () => {
  site = await startSite()
  config = { text: siteConfig(site) }
  echo = await listenInNetns(site.netns)
  echo.on('connection', (socket: Socket) => {
    echoSockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => echoSockets.delete(socket))
    socket.pipe(socket)
  })
  echoPort = (echo.address() as { port: number }).port
  // Load every module a case uses before the loss and any leak baseline.
  await using warm = new Connection('inner', { config, proxyJump: 'bastion' })
  await warm.run('true')
  link = (await setRandomLoss(site.netns, LOSS_PERCENT)) ? `random ${LOSS_PERCENT}% loss (tc htb + cls_bpf)` : 'clean (no tc loss available)'
}, 60_000)
afterAll(async () => {
  for (const socket of echoSockets) socket.destroy()
  await new Promise<void>((resolve) => (echo ? echo.close(() => resolve()) : resolve()))
  await site?.close()
})

/** Writes `blocks` blocks of `blockSize` bytes, each led by [stream id, sequence number], and checks every block that comes back. */
async function sequenceCheck(stream: Duplex, id: number, blocks: number, blockSize: number): Promise<void> {
  const expected = Buffer.alloc(blocks * blockSize)
  for (let seq = 0; seq < blocks; seq++) {
    const at = seq * blockSize
    expected.writeUInt32BE(id, at)
    expected.writeUInt32BE(seq, at + 4)
    for (let i = 8; i < blockSize; i++) expected[at + i] = (id * 31 + seq * 7 + i) & 0xff
  }
  const received: Buffer[] = []
  let length = 0
  const done = new Promise<void>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => {
      received.push(chunk)
      length += chunk.length
      if (length >= expected.length) resolve()
    })
    stream.once('error', reject)
    stream.once('close', () => reject(new Error(`stream ${id} closed after ${length} of ${expected.length} bytes (${String((stream as { destroyed?: boolean }).destroyed)})`)))
  })
  stream.write(expected)
  await done
  const data = Buffer.concat(received)
  expect(data.length).toBe(expected.length)
  for (let seq = 0; seq < blocks; seq++) {
    const at = seq * blockSize
    expect([data.readUInt32BE(at), data.readUInt32BE(at + 4)]).toEqual([id, seq])
  }
  expect(data.equals(expected)).toBe(true)
}

describe(`over a lossy link in the site`, () => {
  it('carries 200 concurrent channels of sequence-numbered data through sshd to an echo server, byte-exact', async () => {
    const probe = leakProbe()
    const dropsBefore = await randomLossDrops(site.netns)
    const c = new Connection('bastion', { config, maxSessions: 200 })
    await c.open()
    const t0 = performance.now()
    const sockets = await Promise.all(Array.from({ length: 200 }, () => c.openSocket('127.0.0.1', echoPort)))
    await within(Promise.all(sockets.map((s, id) => sequenceCheck(s, id, 16, 4096))), 240_000, '200 echoes')
    const elapsed = since(t0)
    for (const s of sockets) s.destroy()
    const drops = (await randomLossDrops(site.netns)) - dropsBefore
    recordFigure({ case: `200-channel echo, 64 KiB each, ${link}`, measure: 'time', value: elapsed, unit: 'ms' })
    recordFigure({ case: `200-channel echo, 64 KiB each, ${link}`, measure: 'packets dropped by the link', value: drops, unit: 'packets' })
    await c.close()
    // The echo server's end of each connection lives in this process too: it closes when the
    // channel's close has crossed the lossy link, which the library must bring about.
    await waitFor(() => echoSockets.size === 0, { timeoutMs: 20_000, description: 'the echo connections to close' })
    const report = await probe.check()
    expect(report.problems).toEqual([])
  }, 300_000)

  it('carries sequence-numbered data through a 2-hop local forward (bastion → inner) byte-exact', async () => {
    const probe = leakProbe()
    const dropsBefore = await randomLossDrops(site.netns)
    const c = new Connection('inner', { config, proxyJump: 'bastion' })
    await c.open()
    const fwd = await c.forwardLocal({ localPort: 0, remoteHost: '127.0.0.1', remotePort: echoPort })
    const t0 = performance.now()
    const streams = 4
    const blocks = 256
    const blockSize = 16 * 1024 // 4 MiB per stream, 16 MiB in all
    const sockets = await Promise.all(Array.from({ length: streams }, () => new Promise<Socket>((resolve, reject) => {
      const s = createConnection(fwd.port, '127.0.0.1', () => resolve(s))
      s.once('error', reject)
    })))
    await within(Promise.all(sockets.map((s, id) => sequenceCheck(s, id, blocks, blockSize))), 240_000, '2-hop echoes')
    const seconds = since(t0) / 1000
    for (const s of sockets) s.destroy()
    const drops = (await randomLossDrops(site.netns)) - dropsBefore
    recordFigure({ case: `2-hop forward, 4 × 4 MiB echo, ${link}`, measure: 'throughput (each way)', value: Math.round((streams * blocks * blockSize) / 2 ** 20 / seconds * 10) / 10, unit: 'MiB/s' })
    recordFigure({ case: `2-hop forward, 4 × 4 MiB echo, ${link}`, measure: 'packets dropped by the link', value: drops, unit: 'packets' })
    await fwd.close()
    await c.close()
    // The echo server's end of each connection lives in this process too: it closes when the
    // channel's close has crossed the lossy link, which the library must bring about.
    await waitFor(() => echoSockets.size === 0, { timeoutMs: 20_000, description: 'the echo connections to close' })
    const report = await probe.check()
    expect(report.problems).toEqual([])
  }, 300_000)
})
