import { describe, expect, it } from 'vitest'
import { MAX_PREAMBLE_BYTES, scanIdentification } from '../src/health/identification.js'

const scan = (text: string | Buffer) => scanIdentification(Buffer.isBuffer(text) ? text : Buffer.from(text, 'latin1'))

describe('scanIdentification (RFC 4253 §4.2)', () => {
  it('finds SSH-2.0 and SSH-1.99 lines, with CR LF or a bare LF', () => {
    expect(scan('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n')).toEqual({ kind: 'found', line: 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3' })
    expect(scan('SSH-1.99-Cisco-1.25\n')).toEqual({ kind: 'found', line: 'SSH-1.99-Cisco-1.25' })
  })

  it('skips other lines a server sends before its identification', () => {
    expect(scan('Welcome\r\nauthorised use only\r\nSSH-2.0-dropbear_2022.83\r\n')).toEqual({ kind: 'found', line: 'SSH-2.0-dropbear_2022.83' })
  })

  it('waits for the end of the line', () => {
    expect(scan('SSH-2.0-Open')).toEqual({ kind: 'more' })
    expect(scan('hello\r\n')).toEqual({ kind: 'more' })
    expect(scan('')).toEqual({ kind: 'more' })
  })

  it('refuses other protocol versions, an empty software version and over-long lines', () => {
    expect(scan('SSH-1.5-OpenSSH_1.2.3\r\n').kind).toBe('bad')
    expect(scan('SSH-3.0-x\r\n').kind).toBe('bad')
    expect(scan('SSH-2.0-\r\n').kind).toBe('bad')
    expect(scan(`SSH-2.0-${'x'.repeat(250)}\r\n`).kind).toBe('bad')
    expect(scan(`SSH-2.0-${'x'.repeat(250)}`).kind).toBe('bad') // known to be too long before its end
  })

  it(`refuses ${MAX_PREAMBLE_BYTES} bytes without an identification line`, () => {
    expect(scan('x'.repeat(MAX_PREAMBLE_BYTES)).kind).toBe('more')
    expect(scan('x'.repeat(MAX_PREAMBLE_BYTES + 1)).kind).toBe('bad')
    expect(scan('line\r\n'.repeat(2000)).kind).toBe('bad')
  })
})
