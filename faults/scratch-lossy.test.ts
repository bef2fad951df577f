import type { Server, Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { inNetns, listenInNetns, runCommand, startSite, type SiteHandle } from '@x/testbed'
import { Connection } from '@x/connection'
import { afterAll, beforeAll, it } from 'vitest'
import { siteConfig } from '../packages/connection/test/site-helpers.js'
import { setRandomLoss } from './support/random-loss.js'

let site: SiteHandle
let config: { text: string }
let echo: Server
let echoPort: number
interface Rec { n: number; remotePort?: number; bytes: number; error?: string; closedAt?: number; hadError?: boolean; ended?: boolean; t0: number }
const recs: Rec[] = []
const echoSockets = new Set<Socket>()
beforeAll(async () => {
  site = await startSite({ bastion: { logLevel: 'DEBUG3' } })
  config = { text: siteConfig(site) }
  echo = await listenInNetns(site.netns)
  echo.on('connection', (socket: Socket) => {
    const r: Rec = { n: recs.length, remotePort: socket.remotePort, bytes: 0, t0: performance.now() }
    recs.push(r)
    echoSockets.add(socket)
    socket.on('data', (d: Buffer) => { r.bytes += d.length })
    socket.on('end', () => { r.ended = true })
    socket.on('error', (e: NodeJS.ErrnoException) => { r.error = `${e.code} ${e.message}` })
    socket.on('close', (h) => { r.hadError = h; r.closedAt = performance.now(); echoSockets.delete(socket) })
    socket.pipe(socket)
  })
  echoPort = (echo.address() as { port: number }).port
  await setRandomLoss(site.netns, 5)
}, 60_000)
afterAll(async () => {
  for (const s of echoSockets) s.destroy()
  await new Promise<void>((r) => echo.close(() => r()))
  await site?.close()
})

async function nstat(): Promise<string> {
  const { file, args } = inNetns(site.netns, 'nstat', ['-az', 'TcpExtListenOverflows', 'TcpExtListenDrops', 'TcpExtTCPReqQFullDrop', 'TcpExtSyncookiesSent', 'TcpExtSyncookiesRecv', 'TcpExtSyncookiesFailed', 'TcpAttemptFails', 'TcpEstabResets', 'TcpOutRsts', 'TcpExtTCPAbortOnData', 'TcpExtTCPAbortOnClose', 'TcpExtTCPAbortOnTimeout', 'TcpExtTCPSynRetrans', 'TcpExtTCPTimeouts'])
  const { stdout } = await runCommand(file, args, { allowFailure: true, timeoutMs: 10_000 })
  return stdout.split('\n').filter((l) => /^\w/.test(l) && !/^#/.test(l)).map((l) => l.replace(/\s+/g, ' ')).join(' | ')
}

function check(stream: Duplex, id: number, size: number): Promise<string | undefined> {
  const expected = Buffer.alloc(size, id & 0xff)
  let length = 0
  return new Promise((resolve) => {
    stream.on('data', (c: Buffer) => { length += c.length; if (length >= size) resolve(undefined) })
    stream.once('error', (e) => resolve(`stream ${id} error ${String(e)}`))
    stream.once('close', () => resolve(`stream ${id} closed after ${length}`))
    stream.write(expected)
  })
}

it('rounds', async () => {
  const ROUNDS = Number(process.env.ROUNDS ?? 6)
  for (let round = 0; round < ROUNDS; round++) {
    recs.length = 0
    const before = await nstat()
    const c = new Connection('bastion', { config, maxSessions: 200 })
    try {
      await c.open()
      const t0 = performance.now()
      const sockets = await Promise.all(Array.from({ length: 200 }, () => c.openSocket('127.0.0.1', echoPort)))
      const tOpen = performance.now() - t0
      const results = await Promise.all(sockets.map((s, id) => check(s, id, 65536)))
      const bad = results.filter(Boolean)
      const after = await nstat()
      console.log(`round ${round}: open ${tOpen.toFixed(0)} ms, accepted ${recs.length}, bad ${bad.length} ${bad.join('; ')}`)
      if (bad.length) {
        console.log('before', before)
        console.log('after ', after)
        for (const r of recs) if (r.bytes < 65536 || r.error || r.hadError) console.log('echo', JSON.stringify({ ...r, closedAt: r.closedAt && (r.closedAt - t0).toFixed(0), t0: (r.t0 - t0).toFixed(0) }))
        const log = await site.bastion.log()
        const lines = log.split('\n').filter((l) => /connect_to|failed|error|Connection reset|read<=0|rfd|closed|shutdown|EOF|eof/i.test(l) && !/debug3: (send packet|receive packet)/.test(l))
        console.log(`bastion log interesting lines (${lines.length}):\n` + lines.filter((l) => !/channel \d+: (send_close|rcvd close|rcvd eof|send eof|closed write|input_drain|output_drain|obuf empty|close_read|close_write|gc: notify|garbage collecting|free:|status:)/.test(l)).slice(0, 80).join('\n'))
      }
      for (const s of sockets) s.destroy()
    } finally {
      await c.close()
    }
    await new Promise((r) => setTimeout(r, 1000))
  }
}, 600_000)
