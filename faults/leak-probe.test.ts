import { createSocket } from 'node:dgram'
import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { leakProbe } from './support/leaks.js'

describe('leakProbe', () => {
  it('is clean when nothing is left behind', async () => {
    const probe = leakProbe()
    const server = createServer().listen(0, '127.0.0.1')
    await new Promise<void>((resolve) => server.close(() => resolve()))
    expect((await probe.check()).problems).toEqual([])
  })

  it('reports a listening socket, a bound UDP socket and a process-wide listener that were left', async () => {
    const probe = leakProbe({ settleMs: 100 })
    const server = createServer().listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    const udp = createSocket('udp4')
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve))
    const listener = (): void => {}
    process.on('beforeExit', listener)
    try {
      const report = await probe.check()
      expect(report.problems.join('\n')).toMatch(/new active resources: .*TCPServerWrap/)
      expect(report.problems.join('\n')).toMatch(/UDPWrap/)
      expect(report.problems.join('\n')).toMatch(/'beforeExit' listeners: \d+ → \d+/)
    } finally {
      process.off('beforeExit', listener)
      await new Promise<void>((resolve) => udp.close(() => resolve()))
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })

  it('reports heap growth beyond the bound', async () => {
    const probe = leakProbe({ heapMiB: 5 })
    const kept = Array.from({ length: 16 }, () => new Array(64 * 1024).fill(1.5))
    const report = await probe.check()
    expect(kept.length).toBe(16)
    expect(report.heapGrowthMiB).toBeGreaterThan(5)
    expect(report.problems.join('\n')).toMatch(/heap grew/)
  })
})
