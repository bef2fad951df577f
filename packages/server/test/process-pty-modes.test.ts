import { describe, expect, it } from 'vitest'
import { lookupUser, runSession, sttyArguments } from '../src/index.js'
import { testUser } from '@x/testbed'
import { MemoryChannel } from './support/memory-channel.js'

// ssh2 1.17's server never delivers pty-req modes (handlers.misc.js: TERMINAL_MODE_BY_VALUE is
// keyed by name and the parser starts one byte in), so OpenSSH cannot drive this: the channel is
// in memory, the pty and the process are real.
describe('pty modes from the pty-req', () => {
  it('turns RFC 4254 modes into stty arguments, control characters in hex', () => {
    expect(sttyArguments({ VINTR: 24, VEOF: 4, VEOL: 255, ECHO: 1, ECHOCTL: 0, CS8: 1, TTY_OP_ISPEED: 38400, PENDIN: 0 }))
      .toEqual(['intr', '0x18', 'eof', '0x4', 'eol', 'undef', 'echo', '-echoctl', 'cs8'])
  })

  it('applies them to the real pty before the command runs', async () => {
    await testUser()
    const channel = new MemoryChannel({ term: 'vt100', cols: 100, rows: 30, width: 0, height: 0, modes: { VINTR: 24, ECHOCTL: 0, IXANY: 0 } })
    const result = await runSession(channel, { user: await lookupUser('xssh-test'), command: 'stty -a; echo "T=$TERM"' })
    expect(result).toEqual({ exitCode: 0, exitSignal: null, hungUp: false })
    expect(channel.stdout).toMatch(/rows 30; columns 100;/)
    expect(channel.stdout).toMatch(/intr = \^X;/)
    expect(channel.stdout).toMatch(/-echoctl/)
    expect(channel.stdout).toMatch(/-ixany/)
    expect(channel.stdout).toMatch(/T=vt100/)
    expect(channel.exitRecord).toEqual({ code: 0 })
  })
})
