import { setTimeout as sleep } from 'node:timers/promises'
import { closedPort, startSilentServer, startSshd, startTcpServer, type SshdHandle, type TcpServerHandle } from '@x/testbed'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HostProber } from '../src/health/host-prober.js'
import { HostProberClosedError } from '../src/health/prober-closed-error.js'
import { MemoryStore } from '../src/state/memory-store.js'
import { hp } from './helpers/pool.js'
import { nextMark, record } from './helpers/prober-events.js'

let sshd: SshdHandle

beforeAll(async () => {
  sshd = await startSshd()
})

afterAll(async () => {
  await sshd?.close()
})

/** A real TCP listener whose greeting the test switches: an SSH-2 identification, or an immediate close. */
interface Toggle extends TcpServerHandle {
  mode: 'ssh' | 'close'
  /** Connections accepted so far. */
  readonly accepted: number
}

async function startToggle(): Promise<Toggle> {
  let mode: Toggle['mode'] = 'ssh'
  let accepted = 0
  const server = await startTcpServer((socket) => {
    accepted++
    if (mode === 'close') return void socket.destroy()
    socket.resume()
    socket.write('SSH-2.0-Toggle_1.0\r\n')
  })
  return {
    host: server.host,
    port: server.port,
    get connections() { return server.connections },
    get mode() { return mode },
    set mode(m) { mode = m },
    get accepted() { return accepted },
    close: () => server.close(),
    [Symbol.asyncDispose]: () => server.close(),
  }
}

const quick = { connectMs: 1000, bannerMs: 500 }

describe('HostProber in the background', () => {
  it('marks a real sshd up, and down within one interval, a recheck and a probe timeout after it stops', async () => {
    const store = new MemoryStore()
    const own = await startSshd()
    const host = hp(own.host, own.port)
    const checkIntervalMs = 400
    await using prober = new HostProber({ store, pools: [{ dest: [host], checkIntervalMs }], timeouts: quick })
    const up = nextMark(prober, host.text, 'up', 5000)
    prober.start()
    await up
    expect((await store.host(host.text))?.state).toBe('up')
    const down = nextMark(prober, host.text, 'down', checkIntervalMs * 2 + 1500 + 1000)
    const stoppedAt = Date.now()
    await own.close()
    await down
    const tookMs = Date.now() - stoppedAt
    // fall 2: the first failed probe within one interval, the second one recheck (capped at the
    // interval) later; both are refusals, so the probe timers never run out.
    expect(tookMs).toBeLessThan(checkIntervalMs + quick.connectMs + quick.bannerMs)
    expect((await store.host(host.text))?.state).toBe('down')
    await store.close()
  })

  it('marks a listener that never sends a banner, one that sends garbage and a closed port down', async () => {
    const store = new MemoryStore()
    await using silent = await startSilentServer()
    await using garbage = await startTcpServer((s) => { s.resume(); s.write('HTTP/1.1 400 Bad Request\r\n\r\n' + 'x'.repeat(9000)) })
    const closed = hp('127.0.0.1', await closedPort())
    const dest = [hp(silent.host, silent.port), hp(garbage.host, garbage.port), closed, hp(sshd.host, sshd.port)]
    await using prober = new HostProber({ store, pools: [{ dest, checkIntervalMs: 5000 }], timeouts: quick })
    const log = record(prober)
    const marks = [...dest.slice(0, 3).map((d) => nextMark(prober, d.text, 'down', 3000)), nextMark(prober, dest[3]!.text, 'up', 3000)]
    prober.start()
    await Promise.all(marks)
    const codes = Object.fromEntries(log.probes.map((o) => [o.host, o.up ? 'up' : `${o.error.code}${'phase' in o.error ? `/${o.error.phase}` : ''}`]))
    expect(codes).toEqual({
      [dest[0]!.text]: 'ERR_SSH_TIMEOUT/handshake',
      [dest[1]!.text]: 'ERR_SSH_HANDSHAKE',
      [closed.text]: 'ERR_SSH_CONNECT',
      [dest[3]!.text]: 'up',
    })
    expect((await store.hosts()).map((r) => `${r.host} ${r.state}`).sort()).toEqual(dest.map((d, i) => `${d.text} ${i < 3 ? 'down' : 'up'}`).sort())
    await store.close()
  })

  it('probes again after recheckIntervalMs while outcomes disagree, and each interval otherwise', async () => {
    const store = new MemoryStore()
    await using toggle = await startToggle()
    const host = hp(toggle.host, toggle.port)
    await using prober = new HostProber({ store, pools: [{ dest: [host], checkIntervalMs: 600 }], fall: 3, recheckIntervalMs: 100, timeouts: quick })
    const log = record(prober)
    const up = nextMark(prober, host.text, 'up', 3000)
    prober.start()
    await up
    toggle.mode = 'close'
    const t0 = Date.now()
    await nextMark(prober, host.text, 'down', 3000)
    // One interval to the first failure, then two rechecks 100 ms apart: well under 2 intervals.
    expect(Date.now() - t0).toBeLessThan(600 + 2 * 100 + 500)
    expect(log.marks).toEqual([`${host.text} up`, `${host.text} down`])
    expect(log.probes.map((o) => o.up)).toEqual([true, false, false, false])
    await store.close()
  })

  it('leaves hosts of 0-interval pools to check(), and a host in two pools on the shorter interval', async () => {
    const store = new MemoryStore()
    await using onDemand = await startToggle()
    await using both = await startToggle()
    const d = hp(onDemand.host, onDemand.port)
    const b = hp(both.host, both.port)
    await using prober = new HostProber({ store, pools: [{ dest: [d, b], checkIntervalMs: 0 }, { dest: [b], checkIntervalMs: 10_000 }, { dest: [b], checkIntervalMs: 200 }], timeouts: quick })
    prober.start()
    await sleep(700)
    expect(onDemand.accepted).toBe(0)
    expect(both.accepted).toBeGreaterThanOrEqual(3) // at once, then every 200 ms
    expect(both.accepted).toBeLessThanOrEqual(5)
    expect(await prober.check(d)).toMatchObject({ up: true, banner: 'SSH-2.0-Toggle_1.0' })
    expect(onDemand.accepted).toBe(1)
    expect((await store.host(d.text))?.state).toBe('up')
    await store.close()
  })
})

describe('HostProber rise and fall', () => {
  it('needs `fall` failures to mark an up host down and `rise` successes to bring it back', async () => {
    const store = new MemoryStore()
    await using toggle = await startToggle()
    const host = hp(toggle.host, toggle.port)
    await using prober = new HostProber({ store, rise: 2, fall: 3, timeouts: quick })
    const state = async () => (await store.host(host.text))?.state
    // The first outcome is taken as it is.
    expect((await prober.check(host)).up).toBe(true)
    expect(await state()).toBe('up')
    toggle.mode = 'close'
    for (const expected of ['up', 'up', 'down']) {
      const outcome = await prober.check(host)
      expect(outcome.up).toBe(false) // what this connection acts on, whatever the record says
      expect(await state()).toBe(expected)
    }
    toggle.mode = 'ssh'
    for (const expected of ['down', 'up']) {
      expect((await prober.check(host)).up).toBe(true)
      expect(await state()).toBe(expected)
    }
    // A disagreeing outcome between agreeing ones starts the count again.
    toggle.mode = 'close'
    await prober.check(host)
    await prober.check(host)
    toggle.mode = 'ssh'
    await prober.check(host)
    toggle.mode = 'close'
    await prober.check(host)
    await prober.check(host)
    expect(await state()).toBe('up')
    expect(prober.stateOf(host)).toBe('up')
    await store.close()
  })

  it('refreshes the record of an agreeing outcome and leaves it to age while outcomes disagree', async () => {
    let now = 1_000_000
    const store = new MemoryStore({ now: () => now })
    await using toggle = await startToggle()
    const host = hp(toggle.host, toggle.port)
    await using prober = new HostProber({ store, timeouts: quick })
    await prober.check(host)
    now += 5000
    await prober.check(host)
    expect((await store.host(host.text))?.checkedAt).toBe(1_005_000)
    toggle.mode = 'close'
    now += 5000
    await prober.check(host)
    expect(await store.host(host.text)).toMatchObject({ state: 'up', checkedAt: 1_005_000 })
    await store.close()
  })

  it('keeps a disabled host disabled whatever the probes say', async () => {
    const store = new MemoryStore()
    const host = hp(sshd.host, sshd.port)
    await store.setDisabled(host.text, true)
    await using prober = new HostProber({ store, timeouts: quick })
    expect((await prober.check(host)).up).toBe(true)
    expect((await store.host(host.text))?.state).toBe('disabled')
    await store.close()
  })
})

describe('HostProber passive marking', () => {
  it('marks a host down at once on reportFailure, and up again after `rise` successful probes', async () => {
    const store = new MemoryStore()
    const host = hp(sshd.host, sshd.port)
    await using prober = new HostProber({ store, pools: [{ dest: [host], checkIntervalMs: 300 }], rise: 2, timeouts: quick })
    const log = record(prober)
    const up = nextMark(prober, host.text, 'up', 3000)
    prober.start()
    await up
    await prober.reportFailure(host)
    expect((await store.host(host.text))?.state).toBe('down')
    expect(prober.stateOf(host)).toBe('down')
    const before = log.probes.length
    await nextMark(prober, host.text, 'up', 3000)
    expect(log.probes.slice(before).map((o) => o.up)).toEqual([true, true])
    await store.close()
  })
})

describe('HostProber lifetime', () => {
  it('stops its timers and in-flight probes on close, rejecting waiting checks with HostProberClosedError', async () => {
    const store = new MemoryStore()
    await using silent = await startSilentServer()
    const host = hp(silent.host, silent.port)
    const resources = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'TCPSocketWrap').length
    const baseline = resources()
    const prober = new HostProber({ store, pools: [{ dest: [host, hp(sshd.host, sshd.port)], checkIntervalMs: 100 }], timeouts: { connectMs: 1000, bannerMs: 10_000 } })
    prober.start()
    const waiting = prober.check(host)
    await sleep(150)
    expect(silent.connections).toBe(1) // the background probe and the check share one
    const t0 = Date.now()
    await prober.close()
    expect(Date.now() - t0).toBeLessThan(500)
    await expect(waiting).rejects.toBeInstanceOf(HostProberClosedError)
    await expect(waiting).rejects.toMatchObject({ code: 'ERR_SSH_ROUTER_PROBER_CLOSED' })
    await prober.close() // idempotent
    expect(() => prober.check(host)).toThrow(HostProberClosedError)
    await expect(prober.reportFailure(host)).rejects.toBeInstanceOf(HostProberClosedError)
    expect(() => prober.start()).toThrow(HostProberClosedError)
    await sleep(50)
    expect(resources()).toBeLessThanOrEqual(baseline)
    await store.close()
  })

  it('lets a check stop waiting on its own signal while the shared probe runs on', async () => {
    const store = new MemoryStore()
    await using silent = await startSilentServer()
    await using prober = new HostProber({ store, timeouts: { connectMs: 1000, bannerMs: 300 } })
    const host = hp(silent.host, silent.port)
    const reason = new Error('client went away')
    const ac = new AbortController()
    const mine = prober.check(host, { signal: ac.signal })
    const other = prober.check(host)
    ac.abort(reason)
    await expect(mine).rejects.toBe(reason)
    expect(await other).toMatchObject({ up: false, error: { phase: 'handshake' } })
    await store.close()
  })

  it('reports store failures as mark events and still resolves checks', async () => {
    const store = new MemoryStore()
    await store.close()
    await using prober = new HostProber({ store, timeouts: quick })
    const errors: unknown[] = []
    prober.on('mark', (_h, _s, error) => errors.push(error))
    expect((await prober.check(hp(sshd.host, sshd.port))).up).toBe(true)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ code: 'ERR_SSH_ROUTER_STORE' })
  })

  it('refuses counts that are not positive integers', () => {
    const store = new MemoryStore()
    expect(() => new HostProber({ store, rise: 0 })).toThrow(RangeError)
    expect(() => new HostProber({ store, fall: 1.5 })).toThrow(RangeError)
    expect(() => new HostProber({ store, pools: [{ dest: [], checkIntervalMs: -1 }] })).toThrow(RangeError)
    expect(() => new HostProber({ store: undefined as never })).toThrow(TypeError)
  })
})
