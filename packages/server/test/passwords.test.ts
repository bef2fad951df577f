// scrypt password hashes: the same bytes as Python's hashlib.scrypt, and the password file.
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '@x/transport'
import { PasswordFile, hashPassword, verifyPassword } from '../src/index.js'

const PY = '/usr/bin/python3'

function pythonScrypt(password: string, salt: Buffer, ln: number, r: number, p: number): string {
  const code = 'import hashlib,base64,sys;pw,salt,ln,r,p=sys.argv[1:];'
    + 'h=hashlib.scrypt(pw.encode(),salt=base64.b64decode(salt),n=2**int(ln),r=int(r),p=int(p),maxmem=2**28,dklen=32);'
    + 'print(base64.b64encode(h).decode().rstrip("="))'
  return execFileSync(PY, ['-c', code, password, salt.toString('base64'), String(ln), String(r), String(p)], { encoding: 'utf8', timeout: 30_000 }).trim()
}

describe('hashPassword / verifyPassword', () => {
  it('makes the hash Python hashlib.scrypt makes for the same salt and parameters', async () => {
    const salt = Buffer.from('0123456789abcdef')
    for (const [ln, r, p] of [[15, 8, 1], [10, 4, 2]] as const) {
      const line = await hashPassword('pässwörd 1', { ln, r, p, salt })
      expect(line).toBe(`$scrypt$ln=${ln},r=${r},p=${p}$${salt.toString('base64').replace(/=+$/, '')}$${pythonScrypt('pässwörd 1', salt, ln, r, p)}`)
    }
  })

  it('verifies the right password and refuses a wrong one or a malformed hash', async () => {
    const h = await hashPassword('secret', { ln: 10 })
    expect(h).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/)
    expect(await verifyPassword('secret', h)).toBe(true)
    expect(await verifyPassword('Secret', h)).toBe(false)
    expect(await verifyPassword('secret', h.replace('ln=10', 'ln=9'))).toBe(false)
    expect(await verifyPassword('secret', 'plain')).toBe(false)
  })

  it('refuses parameters out of bounds', async () => {
    await expect(hashPassword('x', { ln: 9 })).rejects.toThrow(RangeError)
    await expect(hashPassword('x', { ln: 21 })).rejects.toThrow(RangeError)
    await expect(hashPassword('x', { r: 33 })).rejects.toThrow(RangeError)
    await expect(hashPassword('x', { p: 0 })).rejects.toThrow(RangeError)
  })
})

describe('PasswordFile', () => {
  it('checks users of a file with comments and blank lines; an unknown user fails', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'x-pw-'))
    try {
      const path = join(dir, 'passwords')
      await writeFile(path, `# users\n\nalice:${await hashPassword('a1', { ln: 10 })}\nbob:${await hashPassword('b2', { ln: 10 })}\n`)
      const pf = await PasswordFile.load(path)
      expect(pf.users).toEqual(['alice', 'bob'])
      expect(await pf.check('alice', 'a1')).toBe(true)
      expect(await pf.check('alice', 'b2')).toBe(false)
      expect(await pf.check('bob', 'b2')).toBe(true)
      expect(await pf.check('carol', 'a1')).toBe(false)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('raises ConfigError with file and line for a bad line, without the hash in the message', async () => {
    const good = await hashPassword('a1', { ln: 10 })
    const bad = good.replace('ln=10', 'ln=99')
    let err: unknown
    try {
      PasswordFile.parse(`alice:${good}\n# c\nbob:${bad}\n`, '/etc/pw')
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ConfigError)
    expect(err).toMatchObject({ code: 'ERR_SSH_CONFIG', file: '/etc/pw', line: 3 })
    expect((err as Error).message).not.toContain(bad.split('$')[4]!)
    expect(() => PasswordFile.parse(`no colon here\n`)).toThrow(ConfigError)
    expect(() => PasswordFile.parse(`a:${good}\na:${good}\n`)).toThrow(ConfigError)
  })
})
