import { startSshd, type SshdHandle } from '@x/testbed'
import type { Transport } from '@x/transport'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authenticatedTransport, collect } from './helpers.js'

let sshd: SshdHandle
let t: Transport
beforeAll(async () => {
  sshd = await startSshd({ extraConfig: ['AcceptEnv XSSH_*'] })
  t = await authenticatedTransport(sshd)
})
afterAll(async () => {
  await t?.close()
  await sshd?.close()
})

describe('session channel requests', () => {
  it('sendSignal still reaches the command after our stdin ended (RFC 4254 §5.3: requests after EOF)', async () => {
    const ch = await t.openSession()
    await ch.exec('exec sleep 30')
    const out = collect(ch)
    ch.end()
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(ch.sendSignal('TERM')).toBe(true)
    let timer: NodeJS.Timeout | undefined
    const status = await Promise.race([
      ch.exitStatus(),
      new Promise<'still running'>((resolve) => {
        timer = setTimeout(() => resolve('still running'), 3000)
      }),
    ]).finally(() => clearTimeout(timer))
    ch.destroy()
    await out.catch(() => {})
    expect(status).toEqual({ code: null, signal: 'SIGTERM' })
  })

  it('lists the environment variables the server refused, and sets the others', async () => {
    const ch = await t.openSession()
    ch.setEnvironmentVariable('XSSH_ONE', '1')
    ch.setEnvironmentVariable('REFUSED_ONE', '2')
    ch.setEnvironmentVariable('XSSH_TWO', '3')
    await ch.exec('printf "%s%s%s" "$XSSH_ONE" "$REFUSED_ONE" "$XSSH_TWO"')
    const out = collect(ch)
    ch.end()
    expect(ch.refusedEnvironmentVariables()).toEqual(['REFUSED_ONE'])
    expect((await out).toString()).toBe('13')
  })
})
