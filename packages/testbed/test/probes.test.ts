import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { openSync, closeSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { PortInUseError, withFreePort } from '../src/ports.js'
import { childPids, descendantPids, isProcessAlive, openFdCount, readProcessStat, waitFor } from '../src/index.js'

describe('process and fd probes', () => {
  it('openFdCount sees a file descriptor open and close', () => {
    const before = openFdCount()
    const fd = openSync('/dev/null', 'r')
    expect(openFdCount()).toBe(before + 1)
    closeSync(fd)
    expect(openFdCount()).toBe(before)
  })

  it('childPids sees a running child and drops it once reaped', async () => {
    const child = spawn('/bin/sh', ['-c', 'sleep 0.2; exit 3'], { stdio: 'ignore' })
    const pid = child.pid ?? -1
    expect(childPids()).toContain(pid)
    expect(isProcessAlive(pid)).toBe(true)
    const exited = once(child, 'exit')
    await exited
    await waitFor(() => !childPids().includes(pid))
    expect(readProcessStat(pid)).toBeNull()
  })

  it('descendantPids walks grandchildren', async () => {
    const child = spawn('/bin/sh', ['-c', 'sleep 5 & wait'], { stdio: 'ignore' })
    const exited = once(child, 'exit')
    const pid = child.pid ?? -1
    const grandchildren = await waitFor(() => (descendantPids(pid).length > 0 ? descendantPids(pid) : null))
    expect(readProcessStat(grandchildren[0] ?? -1)?.ppid).toBe(pid)
    for (const p of grandchildren) process.kill(p, 'SIGKILL')
    await exited
  })
})

describe('withFreePort', () => {
  it('tries another port when the start function reports PortInUseError', async () => {
    const tried: number[] = []
    const port = await withFreePort(async (p) => {
      tried.push(p)
      if (tried.length < 3) throw new PortInUseError('taken')
      return p
    })
    expect(tried).toHaveLength(3)
    expect(port).toBe(tried[2])
  })

  it('gives up after the attempts and rethrows other errors at once', async () => {
    await expect(withFreePort(async () => { throw new PortInUseError('taken') }, 2)).rejects.toBeInstanceOf(PortInUseError)
    let calls = 0
    await expect(withFreePort(async () => { calls++; throw new Error('boom') })).rejects.toThrow('boom')
    expect(calls).toBe(1)
  })
})
