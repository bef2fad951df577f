import { readFileSync, readlinkSync, statSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  answersSshInNetns, createNetns, deleteNetns, hostConnectRefused, listNetns, listenInNetns, netnsPath,
  readFirstBytesInNetns, startNetnsRelay, startSshd, unusedHostPorts,
} from '../src/index.js'
import { answersSsh } from '../src/ports.js'

describe('network namespace primitives', () => {
  const netns = `xssh-nstest-${process.pid}`
  beforeAll(() => createNetns(netns))
  afterAll(() => deleteNetns(netns))

  it('createNetns makes a namespace with its loopback up', async () => {
    expect(await listNetns()).toContain(netns)
    expect(statSync(netnsPath(netns)).ino).toBeGreaterThan(0)
  })

  it('startSshd({ netns }) listens inside only: the probe inside answers, the host is refused', async () => {
    await using sshd = await startSshd({ netns })
    expect(sshd.netns).toBe(netns)
    expect(readlinkSync(`/proc/${sshd.pid}/ns/net`)).toBe(`net:[${statSync(netnsPath(netns)).ino}]`)
    expect(await answersSshInNetns(netns, sshd.port)).toBe(true)
    expect(await hostConnectRefused(sshd.port)).toBe(true)
    // In-namespace ports are picked below the host's ephemeral range.
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number)
    expect(sshd.port).toBeLessThan(low ?? 0)
  })

  it('listenInNetns hands this process a listener inside the namespace; a taken port is an error', async () => {
    const [port = 0] = await unusedHostPorts(1)
    const server = await listenInNetns(netns, port)
    server.on('connection', (socket) => socket.end('hello from inside'))
    try {
      expect(await readFirstBytesInNetns(netns, port, 17)).toBe('hello from inside')
      expect(await hostConnectRefused(port)).toBe(true)
      await expect(listenInNetns(netns, port)).rejects.toThrow(/EADDRINUSE/)
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('startNetnsRelay relays a host port into the namespace; close() ends it', async () => {
    await using sshd = await startSshd({ netns })
    const relay = await startNetnsRelay({ netns, targetPort: sshd.port })
    expect(await answersSsh(relay.port)).toBe(true)
    await relay.close()
    expect(await hostConnectRefused(relay.port)).toBe(true)
    await relay.close() // idempotent
  })
})
