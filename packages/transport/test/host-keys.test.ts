import { execFile } from 'node:child_process'
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HostKeys } from '../src/host-keys/host-keys.js'
import { PublicKey } from '../src/keys/public-key.js'

const run = promisify(execFile)

let dir = ''
let ed: PublicKey
let ed2: PublicKey
let ecdsa: PublicKey
let rsa: PublicKey

async function keygen(name: string, type: string): Promise<PublicKey> {
  const path = join(dir, name)
  await run('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', path, ...(type === 'rsa' ? ['-b', '2048'] : [])])
  return PublicKey.parse(await readFile(`${path}.pub`, 'utf8'))
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xssh-host-keys-'))
  ;[ed, ed2, ecdsa, rsa] = await Promise.all([keygen('ed', 'ed25519'), keygen('ed2', 'ed25519'), keygen('ec', 'ecdsa'), keygen('rsa', 'rsa')])
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('HostKeys.check', () => {
  it('says ok for a listed key, mismatch for another key of any type, unknown for an unlisted host', () => {
    const known = new HostKeys()
    known.loadText(`example.com ${ed}\nexample.com ${rsa}\n`)
    expect(known.check('example.com', 22, ed)).toBe('ok')
    expect(known.check('example.com', 22, rsa)).toBe('ok')
    expect(known.check('example.com', 22, ed2)).toBe('mismatch')
    expect(known.check('example.com', 22, ecdsa)).toBe('mismatch')
    expect(known.check('example.com', 2222, ed2)).toBe('unknown')
    expect(known.check('other.example.com', 22, ed)).toBe('unknown')
  })

  it('says revoked for a @revoked key even when another line lists it as ok', () => {
    const known = new HostKeys()
    known.loadText(`example.com ${ed}\n@revoked * ${ed}\nexample.com ${ed2}\n`)
    expect(known.check('example.com', 22, ed)).toBe('revoked')
    expect(known.check('example.com', 22, ed2)).toBe('ok')
    expect(known.check('anything', 2222, ed)).toBe('revoked')
    expect(known.knownKeyTypes('example.com', 22)).toEqual(['ssh-ed25519'])
  })

  it('never accepts a key because of a @cert-authority line (fails closed)', () => {
    const known = new HostKeys()
    known.loadText(`@cert-authority *.example.com ${ed}\n`)
    expect(known.lookup('a.example.com', 22)).toEqual({ keys: [], revoked: [], certAuthority: true })
    expect(known.check('a.example.com', 22, ed)).toBe('unknown')
    expect(known.knownKeyTypes('a.example.com', 22)).toEqual([])
  })

  it('looks names up lower-cased, IPv6 with or without brackets, and hashed names by their plain name', () => {
    const known = new HostKeys()
    known.loadText(`db.example.com ${ed}\n::1 ${ecdsa}\n[::1]:2222 ${rsa}\n`)
    known.add('Hashed.Example.com', 2200, ed2, { hash: true })
    expect(known.check('DB.Example.COM', 22, ed)).toBe('ok')
    expect(known.check('[::1]', 22, ecdsa)).toBe('ok')
    expect(known.check('::1', 2222, rsa)).toBe('ok')
    expect(known.check('hashed.example.com', 2200, ed2)).toBe('ok')
    expect(known.check('hashed.example.com', 22, ed2)).toBe('unknown')
  })

  it('falls back to the bare host name for another port only when nothing is known under [host]:port', () => {
    const known = new HostKeys()
    known.loadText(`plain.example.com ${ed}\n[both.example.com]:2222 ${rsa}\nboth.example.com ${ed}\n@revoked gone.example.com ${ed2}\n`)
    expect(known.check('plain.example.com', 2222, ed)).toBe('ok')
    expect(known.check('plain.example.com', 2222, ed2)).toBe('unknown') // a mismatch under the bare name is not one here
    expect(known.check('both.example.com', 2222, ed)).toBe('mismatch') // [host]:port entries win
    expect(known.check('gone.example.com', 2222, ed2)).toBe('revoked')
    expect(known.lookup('plain.example.com', 2222).keys).toEqual([])
    expect(known.knownKeyTypes('plain.example.com', 2222)).toEqual([])
  })

  it('skips malformed lines without throwing and reports where they are', () => {
    const known = new HostKeys()
    expect(known.loadText(`# c\n\nbad\nexample.com ${ed}\nexample.com ssh-ed25519 ???\n`, 'mine')).toBe(1)
    expect(known.malformedLines.map((m) => [m.source, m.line])).toEqual([['mine', 3], ['mine', 5]])
    expect(known.size).toBe(1)
  })

  it('raises RangeError for an empty host name or a port out of range', () => {
    const known = new HostKeys()
    expect(() => known.lookup('', 22)).toThrow(RangeError)
    expect(() => known.lookup('h', 70000)).toThrow(RangeError)
    expect(() => known.lookup('h', 22.5)).toThrow(RangeError)
  })
})

describe('HostKeys.knownKeyTypes', () => {
  it('lists the key types known for a host in file order, once each', () => {
    const known = new HostKeys()
    known.loadText(`h ${rsa}\n* ${ecdsa}\nh ${ed}\nh ${ed2}\nelsewhere ${ed}\n`)
    expect(known.knownKeyTypes('h', 22)).toEqual(['ssh-rsa', 'ecdsa-sha2-nistp256', 'ssh-ed25519'])
    expect(known.knownKeyTypes('h', 2222)).toEqual(['ecdsa-sha2-nistp256']) // only '*' covers [h]:2222
    expect(known.knownKeyTypes('nowhere', 2222)).toEqual(['ecdsa-sha2-nistp256'])
  })
})

describe('HostKeys files', () => {
  it('reads several files, skipping missing ones, in the constructor and in read()', async () => {
    const a = join(dir, 'files-a')
    await writeFile(a, `a.example.com ${ed}\n`)
    const files = [a, join(dir, 'missing'), join(dir, 'no-dir', 'missing')]
    for (const known of [new HostKeys(files), await HostKeys.read(files)]) {
      expect(known.check('a.example.com', 22, ed)).toBe('ok')
      expect(known.size).toBe(1)
    }
  })

  it('throws the fs error for a file that exists but cannot be read', async () => {
    expect(() => new HostKeys([dir])).toThrow(expect.objectContaining({ code: 'EISDIR' }))
    await expect(HostKeys.read([dir])).rejects.toMatchObject({ code: 'EISDIR' })
  })

  it('adds an entry once and saves it with every line read, comments and malformed lines included', async () => {
    const file = join(dir, 'save-keep')
    const original = `# my hosts\n\nold.example.com ${ed} laptop\nthis line is broken\n@revoked bad.example.com ${ed2}\n`
    await writeFile(file, original)
    const known = new HostKeys([file])
    expect(known.add('new.example.com', 2222, ecdsa)).toBe(true)
    expect(known.add('new.example.com', 2222, ecdsa)).toBe(false)
    expect(known.add('old.example.com', 22, ed)).toBe(false)
    await known.save(file)
    expect(await readFile(file, 'utf8')).toBe(`${original}[new.example.com]:2222 ${ecdsa}\n`)
    expect(new HostKeys([file]).check('new.example.com', 2222, ecdsa)).toBe('ok')
  })

  it('saves atomically: no temporary file is left, permissions are kept, a new file is 0600', async () => {
    const sub = join(dir, 'atomic', 'deeper')
    const file = join(sub, 'known_hosts')
    const known = new HostKeys()
    known.add('h', 22, ed)
    await known.save(file)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    await chmod(file, 0o644)
    known.add('h2', 22, ed)
    await known.save(file)
    expect((await stat(file)).mode & 0o777).toBe(0o644)
    expect(await readdir(sub)).toEqual(['known_hosts'])
  })

  it('leaves the old file untouched when saving fails', async () => {
    const file = join(dir, 'save-fails')
    await mkdir(file) // a directory in the way: rename() fails
    const known = new HostKeys()
    known.add('h', 22, ed)
    await expect(known.save(file)).rejects.toMatchObject({ code: expect.stringMatching(/EISDIR|ENOTEMPTY|EEXIST/) })
    expect((await stat(file)).isDirectory()).toBe(true)
    expect((await readdir(dir)).filter((n) => n.includes('save-fails') && n.endsWith('.tmp'))).toEqual([])
  })

  it('hashes plain names on save as ssh-keygen -H does, leaving patterns and marker lines alone', async () => {
    const file = join(dir, 'save-hashed')
    const known = new HostKeys()
    known.loadText(`A.example.com,b.example.com ${ed}\n*.wild.example.com ${ed2}\n@revoked c.example.com ${rsa}\n`)
    await known.save(file, { hash: true })
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n')
    expect(lines).toHaveLength(4)
    expect(lines[0]).toMatch(/^\|1\|[A-Za-z0-9+/]{27}=\|[A-Za-z0-9+/]{27}= ssh-ed25519 /)
    expect(lines[1]).toMatch(/^\|1\|/)
    expect(lines.slice(2)).toEqual([`*.wild.example.com ${ed2}`, `@revoked c.example.com ${rsa}`])
    const back = new HostKeys([file])
    expect(back.check('a.example.com', 22, ed)).toBe('ok')
    expect(back.check('b.example.com', 22, ed)).toBe('ok')
    const { stdout } = await run('ssh-keygen', ['-F', 'a.example.com', '-f', file])
    expect(stdout).toContain('found: line 1')
  })
})
