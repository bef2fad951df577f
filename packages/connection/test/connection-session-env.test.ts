/**
 * ssh_config's SetEnv and SendEnv reach a real OpenSSH sshd (the test bed's `AcceptEnv LANG LC_*
 * XSSH_*`) on every session verb, with OpenSSH's rules: SendEnv sends matching local variables,
 * `-pattern` takes names back, the first SetEnv line wins whole, and the call's `env` wins over both.
 */
import { startSshd, type SshdHandle } from '@x/testbed'
import type { Connection } from '@x/connection'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectionTo } from './helpers.js'

const LOCAL = { XSSH_SEND_ONE: 'local one', XSSH_SEND_TWO: 'local two', XSSH_DROPPED: 'dropped', XSSH_UNLISTED: 'unlisted' }

let sshd: SshdHandle
let c: Connection
beforeAll(async () => {
  Object.assign(process.env, LOCAL)
  sshd = await startSshd()
  c = connectionTo(sshd, {}, [
    'SendEnv XSSH_SEND_* XSSH_DROPPED',
    'SendEnv -XSSH_DROP*',
    'SetEnv XSSH_SET=from-config "XSSH_SPACED=a b=c" XSSH_SET=repeated',
    // A second SetEnv line is ignored whole: the first one that applies wins (ssh_config(5)).
    'SetEnv XSSH_LATER=never',
  ])
  await c.open()
})
afterAll(async () => {
  for (const name of Object.keys(LOCAL)) delete process.env[name]
  await c?.close()
  await sshd?.close()
})

const PRINT = 'for v in XSSH_SEND_ONE XSSH_SEND_TWO XSSH_DROPPED XSSH_UNLISTED XSSH_SET XSSH_SPACED XSSH_LATER; do printf "%s=%s;" "$v" "$(printenv $v)"; done'

describe('SetEnv and SendEnv from ssh_config', () => {
  it('sends SendEnv matches from the local environment and SetEnv values to run()', async () => {
    const r = await c.run(PRINT)
    expect(r.stdout).toBe('XSSH_SEND_ONE=local one;XSSH_SEND_TWO=local two;XSSH_DROPPED=;XSSH_UNLISTED=;XSSH_SET=from-config;XSSH_SPACED=a b=c;XSSH_LATER=;')
    expect(r.refusedEnv).toEqual([])
  })

  it('lets the env option win over SetEnv and SendEnv for the same name', async () => {
    const r = await c.run(PRINT, { env: { XSSH_SET: 'explicit', XSSH_SEND_ONE: 'explicit one' } })
    expect(r.stdout).toContain('XSSH_SEND_ONE=explicit one;')
    expect(r.stdout).toContain('XSSH_SET=explicit;')
    expect(r.stdout).toContain('XSSH_SPACED=a b=c;')
  })

  it('reads the local environment when the session starts, as ssh does', async () => {
    process.env['XSSH_SEND_LATE'] = 'late'
    try {
      expect((await c.run('printenv XSSH_SEND_LATE')).stdout).toBe('late\n')
    } finally {
      delete process.env['XSSH_SEND_LATE']
    }
  })

  it('sends them on exec() and shell() channels too', async () => {
    const ch = await c.exec('printenv XSSH_SET XSSH_SEND_TWO')
    const chunks: Buffer[] = []
    ch.on('data', (d: Buffer) => chunks.push(d))
    await ch.exitStatus()
    expect(Buffer.concat(chunks).toString()).toBe('from-config\nlocal two\n')

    const sh = await c.shell()
    const out: Buffer[] = []
    sh.on('data', (d: Buffer) => out.push(d))
    sh.end('printenv XSSH_SPACED | tr = :; exit\n')
    await sh.exitStatus()
    // The terminal echoes the line (with its `=`); the variable's value comes back with `:`.
    expect(Buffer.concat(out).toString()).toContain('a b:c')
  })

  it('starts shell({ pty: false }) without a terminal, and shell() with one', async () => {
    const run = async (pty: boolean | undefined) => {
      const sh = await c.shell(pty === undefined ? {} : { pty })
      const out: Buffer[] = []
      sh.on('data', (d: Buffer) => out.push(d))
      // Computed, so a terminal's echo of the typed line cannot match.
      sh.end('echo "T-$(tty -s && echo Y || echo N)"; exit\n')
      await sh.exitStatus()
      return Buffer.concat(out).toString()
    }
    expect(await run(false)).toMatch(/(^|\n)T-N\n$/)
    expect(await run(undefined)).toMatch(/T-Y\r\n/)
  })

  it('lists SetEnv names the server does not accept in refusedEnv, and still runs the command', async () => {
    await using other = connectionTo(sshd, {}, ['SetEnv NOT_ACCEPTED=1 XSSH_OK=1'])
    const r = await other.run('printf "%s|%s" "$NOT_ACCEPTED" "$XSSH_OK"')
    expect(r.stdout).toBe('|1')
    expect(r.refusedEnv).toEqual(['NOT_ACCEPTED'])
  })
})
