import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuthorizedKeys } from '@x/server'
import { keygenLines, pub } from './authorized-keys-fixtures.js'
import type { KeygenLines } from './authorized-keys-fixtures.js'

let k: KeygenLines
beforeAll(async () => {
  k = await keygenLines()
})
afterAll(async () => {
  await k.cleanup()
})

const here = { address: '127.0.0.1' }

describe('AuthorizedKeys.parse on ssh-keygen lines', () => {
  it('reads every key type ssh-keygen wrote, with and without options, keeping the comment', () => {
    for (const name of ['ed25519', 'ecdsa', 'ecdsa384', 'ecdsa521', 'rsa'] as const) {
      const line = k[name]
      const text = `# a comment\n\n   ${line}\nno-pty,command="echo hi" ${line}\n`
      const ak = AuthorizedKeys.parse(text, { file: 'ak' })
      expect(ak.rejected).toEqual([])
      expect(ak.entries).toHaveLength(2)
      const [plain, restricted] = ak.entries
      expect(plain?.key.equals(pub(line))).toBe(true)
      expect(plain?.line).toBe(3)
      expect(plain?.source).toBe('ak')
      expect(plain?.comment).toBe(line.split(' ').slice(2).join(' '))
      expect(plain?.options.pty).toBe(true)
      expect(restricted?.options.pty).toBe(false)
      expect(restricted?.options.command).toBe('echo hi')
      expect(restricted?.line).toBe(4)
    }
  })

  it('ignores blank lines, # comments and leading blanks, and tolerates CRLF', () => {
    const ak = AuthorizedKeys.parse(`\n \t\n#${k.ed25519}\n  # x\r\n\t${k.rsa}\r\n`)
    expect(ak.rejected).toEqual([])
    expect(ak.entries.map((e) => e.key.type)).toEqual(['ssh-rsa'])
    expect(ak.entries[0]?.line).toBe(5)
  })

  it('matches on the wire blob only: another comment still matches, another key does not', () => {
    const [type, b64] = k.ed25519.split(' ')
    const ak = AuthorizedKeys.parse(`${type} ${b64} someone-else@elsewhere\n`)
    expect(ak.find(pub(k.ed25519), here)).toBe(ak.entries[0])
    expect(ak.find(pub(k.rsa), here)).toBeUndefined()
    expect(ak.check(pub(k.rsa), here)).toEqual({ accepted: false, reason: 'not-listed', refusals: [] })
  })

  it('reads quoted values with spaces, commas and \\" escapes; other backslashes stay', () => {
    const ak = AuthorizedKeys.parse(`command="echo \\"a, b\\" c\\\\d e",from="127.0.0.1" ${k.ed25519} x y\n`)
    expect(ak.rejected).toEqual([])
    expect(ak.entries[0]?.options.command).toBe('echo "a, b" c\\\\d e')
    expect(ak.entries[0]?.options.from).toBe('127.0.0.1')
    expect(ak.entries[0]?.comment).toBe(`${k.ed25519.split(' ').slice(2).join(' ')} x y`)
  })

  it('takes option names in any case', () => {
    const ak = AuthorizedKeys.parse(`NO-PTY,No-X11-Forwarding,COMMAND="x",Restrict,PTY ${k.ed25519}\n`)
    const o = ak.entries[0]?.options
    expect(o).toMatchObject({ pty: true, x11Forwarding: false, restrict: true, command: 'x', portForwarding: false })
  })

  it.each([
    ['an unknown option', 'no-such-option'],
    ['an unknown option after known ones', 'no-pty,frobnicate'],
    ['a value without quotes', 'command=echo'],
    ['a value with no closing quote before the key', 'command="echo'],
    ['a flag with a tail', 'no-ptyx'],
    ['a flag given a value', 'pty="yes"'],
    ['restrict negated', 'no-restrict'],
    ['two command= clauses', 'command="a",command="b"'],
    ['two from= clauses', 'from="127.0.0.1",from="::1"'],
    ['two principals= clauses', 'cert-authority,principals="a",principals="b"'],
    ['an environment= without =', 'environment="FOO"'],
    ['an environment= with a bad name', 'environment="FO-O=bar"'],
    ['an environment= with an empty name', 'environment="=bar"'],
    ['a bad expiry-time', 'expiry-time="2099-01-01"'],
    ['an expiry-time at the epoch', 'expiry-time="19700101Z"'],
    ['a permitopen without port', 'permitopen="host"'],
    ['a permitopen with port 0', 'permitopen="host:0"'],
    ['a permitopen with port 65536', 'permitopen="host:65536"'],
    ['a permitopen with unclosed bracket', 'permitopen="[::1:22"'],
    ['a permitlisten with a bad port', 'permitlisten="localhost:http"'],
    ['a bad tunnel', 'tunnel="tun0"'],
  ])('rejects the line for %s, as sshd does, and keeps the others', (_what, options) => {
    const ak = AuthorizedKeys.parse(`${options} ${k.ed25519}\n${k.rsa}\n`)
    expect(ak.rejected).toMatchObject([{ line: 1, kind: 'bad-options' }])
    expect(ak.entries.map((e) => e.line)).toEqual([2])
    expect(ak.find(pub(k.ed25519), here)).toBeUndefined()
  })

  it.each(['no-pty,', ',no-pty', 'no-pty,,', 'no-pty,,,x11-forwarding'])('accepts empty options in %s, as sshd does', (options) => {
    const ak = AuthorizedKeys.parse(`${options} ${k.ed25519}\n`)
    expect(ak.rejected).toEqual([])
    expect(ak.entries[0]?.options.pty).toBe(false)
  })

  it('rejects an options field whose quote never closes', () => {
    const ak = AuthorizedKeys.parse(`command="echo ${k.ed25519}\n`)
    expect(ak.rejected).toMatchObject([{ line: 1, kind: 'bad-options' }])
  })

  it('reports a line with a key type OpenSSH does not know, without options or after them', () => {
    const [, b64] = k.ed25519.split(' ')
    const ak = AuthorizedKeys.parse(`ssh-foo ${b64} c\nno-pty ssh-foo ${b64} c\n`)
    expect(ak.rejected.map((r) => [r.line, r.kind])).toEqual([[1, 'unknown-key-type'], [2, 'unknown-key-type']])
  })

  it('tells a bare key type (bad-key) from a line with no known key type (unknown-key-type)', () => {
    const ak = AuthorizedKeys.parse('ssh-ed25519\nno-pty\nno-pty ssh-rsa\n')
    expect(ak.rejected.map((r) => [r.line, r.kind])).toEqual([[1, 'bad-key'], [2, 'unknown-key-type'], [3, 'bad-key']])
  })

  it('reports a certificate line (ssh-keygen -s) as a known but unsupported key type', () => {
    const ak = AuthorizedKeys.parse(`${k.certificate}\n`)
    expect(ak.rejected).toMatchObject([{ line: 1, kind: 'unsupported-key-type' }])
  })

  it('rejects bad base64, and a blob whose type is not the one named', () => {
    const [, edB64] = k.ed25519.split(' ')
    const [, rsaB64 = ''] = k.rsa.split(' ')
    const ak = AuthorizedKeys.parse(
      `ssh-ed25519 !!!notbase64 c\nssh-rsa ${edB64} c\nssh-rsa ${rsaB64.slice(0, -8)} c\n`,
    )
    expect(ak.rejected.map((r) => [r.line, r.kind])).toEqual([[1, 'bad-key'], [2, 'bad-key'], [3, 'bad-key']])
    expect(ak.entries).toEqual([])
  })

  it('keeps cert-authority and principals=, and never matches a plain key on a cert-authority line', () => {
    const ak = AuthorizedKeys.parse(`cert-authority,principals="alice,bob" ${k.ed25519}\n`)
    expect(ak.entries[0]?.options).toMatchObject({ certAuthority: true, principals: 'alice,bob' })
    expect(ak.find(pub(k.ed25519), here)).toBeUndefined()
    expect(ak.check(pub(k.ed25519), here)).toMatchObject({ accepted: false, reason: 'not-listed' })
  })

  it('keeps tunnel=, no-touch-required and verify-required', () => {
    const ak = AuthorizedKeys.parse(`tunnel="3",no-touch-required,verify-required ${k.ed25519}\nTUNNEL="any" ${k.rsa}\n`)
    expect(ak.entries[0]?.options).toMatchObject({ tunnel: 3, touchRequired: false, verifyRequired: true })
    expect(ak.entries[1]?.options.tunnel).toBe('any')
  })

  it('freezes what it returns', () => {
    const ak = AuthorizedKeys.parse(`environment="A=1" ${k.ed25519}\n`)
    expect(Object.isFrozen(ak.entries)).toBe(true)
    expect(Object.isFrozen(ak.entries[0]?.options)).toBe(true)
    expect(Object.isFrozen(ak.entries[0]?.options.environment)).toBe(true)
  })

  it('throws TypeError for a non-string', () => {
    expect(() => AuthorizedKeys.parse(Buffer.from('') as unknown as string)).toThrow(TypeError)
  })
})
