/**
 * Memory bounded when errors are kept (issue #5): a program that collects the errors of a
 * fleet run (one per failed host) holds only the errors, not the Transports, sockets or
 * resolver caches that were on the stack when each was made. V8 keeps every frame's receiver
 * until a stack is formatted; SSHError formats its own, and its causes', right after
 * construction. Unformatted, an AuthenticationError held ~30–45 KiB here; a ConfigError from an
 * Include fan-out held ~9 MiB of read lines (fixed separately in resolveSshConfig).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { startSshd, type SshdHandle } from '@x/testbed'
import { AuthenticationError, ConfigError, Connection, HostKeyError, type ConnectionOptions } from '@x/connection'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configFor } from '../packages/connection/test/helpers.js'
import { recordFigure } from './support/figures.js'
import { collectGarbage } from './support/leaks.js'

let sshd: SshdHandle
let dir: string
beforeAll(async () => {
  sshd = await startSshd()
  dir = mkdtempSync(join(os.tmpdir(), 'xssh-retention-'))
})
afterAll(async () => {
  await sshd?.close()
  rmSync(dir, { recursive: true, force: true })
})

/** Heap growth per kept error, in KiB, over `count` failures made by `fail()`. */
async function retainedPerError(count: number, fail: () => Promise<unknown>): Promise<{ kib: number; errors: unknown[] }> {
  // Warm-up: first-time code, caches and source maps are not retention.
  for (let i = 0; i < 5; i++) await fail()
  collectGarbage()
  const before = process.memoryUsage().heapUsed
  const errors: unknown[] = []
  for (let i = 0; i < count; i++) errors.push(await fail())
  await new Promise((resolve) => setTimeout(resolve, 20))
  collectGarbage()
  const kib = (process.memoryUsage().heapUsed - before) / 1024 / count
  return { kib: Math.round(kib * 10) / 10, errors }
}

/** Opens a Connection that must fail, closes it, and returns the error. */
async function failedOpen(options: ConnectionOptions): Promise<unknown> {
  const c = new Connection('target', { config: configFor(sshd), ...options })
  try {
    await c.open()
  } catch (err) {
    return err
  } finally {
    await c.close()
  }
  throw new Error('open() did not fail')
}

describe('kept errors hold only themselves', () => {
  it('200 kept AuthenticationErrors hold under 20 KiB each', async () => {
    const { kib, errors } = await retainedPerError(200, () =>
      failedOpen({ auth: { privateKeys: [sshd.clientKeys.unauthorized.privatePath], lookForKeys: false, agent: false } }))
    for (const err of errors) expect(err).toBeInstanceOf(AuthenticationError)
    recordFigure({ case: 'kept errors', measure: 'heap held per kept AuthenticationError', value: kib, unit: 'KiB', bound: 20 })
    expect(kib).toBeLessThan(20)
  }, 120_000)

  it('200 kept HostKeyErrors hold under 20 KiB each', async () => {
    const knownHosts = join(dir, 'known_hosts')
    writeFileSync(knownHosts, `[${sshd.host}]:${sshd.port} ${sshd.clientKeys.unauthorized.publicLine}\n`)
    const { kib, errors } = await retainedPerError(200, () => failedOpen({ hostKeys: { knownHostsFiles: [knownHosts] } }))
    for (const err of errors) expect(err).toBeInstanceOf(HostKeyError)
    recordFigure({ case: 'kept errors', measure: 'heap held per kept HostKeyError', value: kib, unit: 'KiB', bound: 20 })
    expect(kib).toBeLessThan(20)
  }, 120_000)

  it('20 kept ConfigErrors from a 2 MiB Include fan-out hold under 64 KiB each', async () => {
    const home = join(dir, 'home')
    mkdirSync(join(home, '.ssh'), { recursive: true })
    const block = 'Host other-*\n  User nobody\n'
    for (let i = 0; i < 4; i++) writeFileSync(join(home, `.ssh/fan${i}.conf`), block.repeat(Math.floor((900 * 1024) / block.length)))
    const config = join(home, '.ssh/config')
    writeFileSync(config, `Include ${join(home, '.ssh')}/fan*.conf\n`)
    const { kib, errors } = await retainedPerError(20, async () => {
      try {
        return new Connection('web', { config })
      } catch (err) {
        return err
      }
    })
    for (const err of errors) expect(err).toBeInstanceOf(ConfigError)
    recordFigure({ case: 'kept errors', measure: 'heap held per kept ConfigError (Include fan-out)', value: kib, unit: 'KiB', bound: 64 })
    expect(kib).toBeLessThan(64)
  }, 120_000)
})
