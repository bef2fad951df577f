import { execFile } from 'node:child_process'
import { appendFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HostKeyError, KeyError } from '../src/errors.js'
import { HostKeys } from '../src/host-keys/host-keys.js'
import { fixedHostKey, insecureAcceptAnyHostKey, knownHosts } from '../src/host-keys/verifiers.js'
import { PublicKey } from '../src/keys/public-key.js'

const run = promisify(execFile)

let dir = ''
let ed: PublicKey
let ed2: PublicKey
let rsa: PublicKey
let counter = 0

/** A fresh known_hosts path (not created) in its own not-yet-existing directory. */
const freshFile = (): string => join(dir, `case-${++counter}`, 'ssh', 'known_hosts')

async function keygen(name: string, type: string): Promise<PublicKey> {
  const path = join(dir, name)
  await run('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', path, ...(type === 'rsa' ? ['-b', '2048'] : [])])
  return PublicKey.parse(await readFile(`${path}.pub`, 'utf8'))
}

async function hostKeyError(promise: unknown): Promise<HostKeyError> {
  const err = await Promise.resolve(promise).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(HostKeyError)
  expect((err as HostKeyError).code).toBe('ERR_SSH_HOST_KEY')
  return err as HostKeyError
}

const exists = (path: string): Promise<boolean> => stat(path).then(() => true, () => false)

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xssh-known-hosts-verifier-'))
  ;[ed, ed2, rsa] = await Promise.all([keygen('ed', 'ed25519'), keygen('ed2', 'ed25519'), keygen('rsa', 'rsa')])
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('knownHosts strict', () => {
  it('accepts a known key with exactly true, from any of its files', async () => {
    const user = freshFile()
    const global = join(dir, 'global_known_hosts')
    await writeFile(global, `[db.example.com]:2222 ${rsa}\n`)
    const verify = knownHosts({ files: [user, global] })
    expect(await verify(rsa, { hostname: 'db.example.com', port: 2222 })).toBe(true)
  })

  it('raises HostKeyError unknown for an unknown host and writes nothing', async () => {
    const file = freshFile()
    const err = await hostKeyError(knownHosts({ files: [file] })(ed, { hostname: 'new.example.com', port: 22 }))
    expect(err).toMatchObject({ reason: 'unknown', host: 'new.example.com', port: 22, fingerprint: ed.fingerprint })
    expect(await exists(file)).toBe(false)
  })

  it('names the known_hosts files read, and the fingerprint to trust, in an unknown-key error (files also as knownHostsFiles)', async () => {
    const user = freshFile()
    const global = join(dir, 'global_known_hosts')
    await writeFile(global, `[db.example.com]:2222 ${rsa}\n`)
    const err = await hostKeyError(knownHosts({ files: [user, global] })(ed, { hostname: 'new.example.com', port: 2200 }))
    expect(err.reason).toBe('unknown')
    expect(err.knownHostsFiles).toEqual([user, global])
    // The message carries the data a reader needs: both files and the key's fingerprint.
    for (const text of [user, global, ed.fingerprint]) expect(err.message).toContain(text)
  })

  it('re-reads its files at each verification, seeing entries other processes append', async () => {
    const file = freshFile()
    const verify = knownHosts({ files: [file] })
    await hostKeyError(verify(ed, { hostname: 'late.example.com', port: 22 }))
    await mkdir(join(file, '..'), { recursive: true })
    await appendFile(file, `late.example.com ${ed}\n`)
    expect(await verify(ed, { hostname: 'late.example.com', port: 22 })).toBe(true)
  })

  it('fails closed with HostKeyError unknown when a known_hosts file cannot be read', async () => {
    const err = await hostKeyError(knownHosts({ files: [dir] })(ed, { hostname: 'h', port: 22 }))
    expect(err.reason).toBe('unknown')
    expect(err.cause).toMatchObject({ code: 'EISDIR' })
  })
})

describe('knownHosts mismatch and revocation, under both policies', () => {
  for (const policy of ['strict', 'accept-new'] as const) {
    it(`raises HostKeyError mismatch with the known fingerprints when the host has another key (${policy})`, async () => {
      const file = freshFile()
      await mkdir(join(file, '..'), { recursive: true })
      const text = `web.example.com ${ed}\nweb.example.com ${rsa}\n`
      await writeFile(file, text)
      const err = await hostKeyError(knownHosts({ files: [file], policy })(ed2, { hostname: 'web.example.com', port: 22 }))
      expect(err).toMatchObject({ reason: 'mismatch', host: 'web.example.com', port: 22, fingerprint: ed2.fingerprint })
      expect([...err.expected].sort()).toEqual([ed.fingerprint, rsa.fingerprint].sort())
      expect(await readFile(file, 'utf8')).toBe(text)
    })

    it(`raises HostKeyError revoked for a @revoked key even when it is also listed (${policy})`, async () => {
      const file = freshFile()
      await mkdir(join(file, '..'), { recursive: true })
      await writeFile(file, `web.example.com ${ed}\n@revoked * ${ed}\n`)
      const err = await hostKeyError(knownHosts({ files: [file], policy })(ed, { hostname: 'web.example.com', port: 22 }))
      expect(err).toMatchObject({ reason: 'revoked', fingerprint: ed.fingerprint })
    })
  }
})

describe('knownHosts accept-new', () => {
  it('learns an unknown host into the first file (directories 0700, file 0600) and then knows it', async () => {
    const file = freshFile()
    const verify = knownHosts({ files: [file, join(dir, 'unused-global')], policy: 'accept-new' })
    expect(await verify(ed, { hostname: 'New.Example.com', port: 2200 })).toBe(true)
    expect(await readFile(file, 'utf8')).toBe(`[new.example.com]:2200 ${ed}\n`)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect((await stat(join(file, '..'))).mode & 0o777).toBe(0o700)
    expect(await verify(ed, { hostname: 'new.example.com', port: 2200 })).toBe(true)
    expect(await readFile(file, 'utf8')).toBe(`[new.example.com]:2200 ${ed}\n`)
    await hostKeyError(verify(ed2, { hostname: 'new.example.com', port: 2200 }))
    const { stdout } = await run('ssh-keygen', ['-F', '[new.example.com]:2200', '-f', file])
    expect(stdout).toContain('found: line 1')
  })

  it('writes hashed names when asked, which ssh-keygen -F finds', async () => {
    const file = freshFile()
    expect(await knownHosts({ files: [file], policy: 'accept-new', hash: true })(rsa, { hostname: 'secret.example.com', port: 22 })).toBe(true)
    const text = await readFile(file, 'utf8')
    expect(text).toMatch(/^\|1\|\S+ ssh-rsa \S+\n$/)
    expect(text).not.toContain('secret')
    const { stdout } = await run('ssh-keygen', ['-F', 'secret.example.com', '-f', file])
    expect(stdout).toContain('found: line 1')
  })

  it('puts a learnt entry on its own line when the file does not end with a newline', async () => {
    const file = freshFile()
    await mkdir(join(file, '..'), { recursive: true })
    await writeFile(file, `old.example.com ${rsa}`)
    await knownHosts({ files: [file], policy: 'accept-new' })(ed, { hostname: 'next.example.com', port: 22 })
    expect(await readFile(file, 'utf8')).toBe(`old.example.com ${rsa}\nnext.example.com ${ed}\n`)
  })

  it('never learns a host covered by @cert-authority: HostKeyError unknown, nothing written', async () => {
    const file = freshFile()
    await mkdir(join(file, '..'), { recursive: true })
    const text = `@cert-authority *.corp.example.com ${rsa}\n`
    await writeFile(file, text)
    const err = await hostKeyError(knownHosts({ files: [file], policy: 'accept-new' })(ed, { hostname: 'a.corp.example.com', port: 22 }))
    expect(err.reason).toBe('unknown')
    expect(await readFile(file, 'utf8')).toBe(text)
  })

  it('learns 20 different hosts verified in parallel: every entry present once, file parseable', async () => {
    const file = freshFile()
    const verify = knownHosts({ files: [file], policy: 'accept-new' })
    const hosts = Array.from({ length: 20 }, (_, i) => `host${i}.example.com`)
    const keys = [ed, ed2, rsa]
    const results = await Promise.all(hosts.map((h, i) => verify(keys[i % 3] as PublicKey, { hostname: h, port: 22 })))
    expect(results).toEqual(hosts.map(() => true))
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n')
    expect(lines.sort()).toEqual(hosts.map((h, i) => `${h} ${keys[i % 3]}`).sort())
    const known = new HostKeys([file])
    expect(known.malformedLines).toEqual([])
    hosts.forEach((h, i) => expect(known.check(h, 22, keys[i % 3] as PublicKey)).toBe('ok'))
  })

  it('learns one host once when 20 connections to it verify in parallel', async () => {
    const file = freshFile()
    const verifiers = [knownHosts({ files: [file], policy: 'accept-new' }), knownHosts({ files: [file], policy: 'accept-new' })]
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => verifiers[i % 2]?.(ed, { hostname: 'busy.example.com', port: 22 })))
    expect(results.every((r) => r === true)).toBe(true)
    expect(await readFile(file, 'utf8')).toBe(`busy.example.com ${ed}\n`)
  })

  it('keeps every line whole when several processes learn hosts into one file at once', async () => {
    const file = freshFile()
    const script = join(dir, 'learn.mts')
    const module = pathToFileURL(join(import.meta.dirname, '../src/host-keys/verifiers.ts')).href
    const keyModule = pathToFileURL(join(import.meta.dirname, '../src/keys/public-key.ts')).href
    await writeFile(script, [
      `import { knownHosts } from '${module}'`,
      `import { PublicKey } from '${keyModule}'`,
      `const [file, tag, line] = process.argv.slice(2)`,
      `const verify = knownHosts({ files: [file], policy: 'accept-new' })`,
      `const key = PublicKey.parse(line)`,
      `await Promise.all(Array.from({ length: 10 }, (_, i) => verify(key, { hostname: 'p' + tag + '-' + i + '.example.com', port: 2222 })))`,
    ].join('\n'))
    const tsx = join(import.meta.dirname, '../../../node_modules/tsx/dist/loader.mjs')
    await Promise.all(['a', 'b', 'c', 'd'].map((tag) => run(process.execPath, ['--import', pathToFileURL(tsx).href, script, file, tag, rsa.toString()])))
    // appendLine puts a newline first when the file does not end with one; stat can see another
    // process's append half done, which then adds a blank line — harmless in known_hosts (blank
    // lines are skipped), so only whole, unique entries are counted.
    const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l !== '')
    expect(lines).toHaveLength(40)
    expect(new Set(lines).size).toBe(40)
    expect(new HostKeys([file]).malformedLines).toEqual([])
    for (const l of lines) expect(l).toMatch(new RegExp(`^\\[p[a-d]-\\d\\.example\\.com\\]:2222 ${rsa.toString().replace(/[+/]/g, '\\$&')}$`))
  })
})

describe('knownHosts options and algorithm preferences', () => {
  it('defaults to ~/.ssh/known_hosts then /etc/ssh/ssh_known_hosts', () => {
    expect(knownHosts().files).toEqual([join(homedir(), '.ssh', 'known_hosts'), '/etc/ssh/ssh_known_hosts'])
  })

  it('rejects bad options with RangeError or TypeError', () => {
    expect(() => knownHosts({ policy: 'yes' as 'strict' })).toThrow(RangeError)
    expect(() => knownHosts({ files: [], policy: 'accept-new' })).toThrow(RangeError)
    expect(() => knownHosts({ files: 'known_hosts' as unknown as string[] })).toThrow(TypeError)
    expect(() => knownHosts({ hash: 'yes' as unknown as boolean })).toThrow(TypeError)
  })

  it('prefers the host-key algorithms of the keys known for the host, answering synchronously', async () => {
    const file = freshFile()
    await mkdir(join(file, '..'), { recursive: true })
    await writeFile(file, `h.example.com ${rsa}\nh.example.com ${ed}\n@revoked * ${ed2}\n`)
    const verify = knownHosts({ files: [file] })
    expect(verify.preferredAlgorithms('h.example.com', 22)).toEqual(['ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'])
    expect(verify.preferredAlgorithms('h.example.com', 2222)).toEqual([])
    expect(knownHosts({ files: [dir] }).preferredAlgorithms('h.example.com', 22)).toEqual([])
  })
})

describe('fixedHostKey and insecureAcceptAnyHostKey', () => {
  it('accepts only the pinned key, given as PublicKey, line or Buffer', async () => {
    for (const pinned of [ed, `${ed} comment`, Buffer.from(ed.toString())]) {
      const verify = fixedHostKey(pinned)
      expect(await verify(ed, { hostname: 'any', port: 1 })).toBe(true)
      const err = await hostKeyError(verify(ed2, { hostname: 'any', port: 1 }))
      expect(err).toMatchObject({ reason: 'rejected', host: 'any', port: 1, fingerprint: ed2.fingerprint, expected: [ed.fingerprint] })
      expect(verify.preferredAlgorithms('any', 1)).toEqual(['ssh-ed25519'])
      expect(verify.key?.equals(ed)).toBe(true)
    }
  })

  it('pins a fingerprint as ssh-keygen -lf prints it (also padded, any case of the prefix), matching the hash exactly', async () => {
    const printed = (await run('ssh-keygen', ['-lf', join(dir, 'ed.pub')])).stdout.split(' ')[1]!
    expect(printed).toBe(ed.fingerprint)
    for (const pin of [printed, `${printed}=`, printed.replace('SHA256:', 'sha256:'), ` ${printed}\n`]) {
      const verify = fixedHostKey(pin)
      expect(await verify(ed, { hostname: 'any', port: 1 })).toBe(true)
      const err = await hostKeyError(verify(ed2, { hostname: 'any', port: 1 }))
      expect(err).toMatchObject({ reason: 'rejected', fingerprint: ed2.fingerprint, expected: [ed.fingerprint] })
      expect(verify.fingerprint).toBe(ed.fingerprint)
      expect(verify.key).toBeUndefined()
      expect(verify.preferredAlgorithms('any', 1)).toEqual([])
    }
  })

  it('raises TypeError at the call for a malformed or an MD5 fingerprint', async () => {
    const md5 = (await run('ssh-keygen', ['-E', 'md5', '-lf', join(dir, 'ed.pub')])).stdout.split(' ')[1]!
    expect(md5).toMatch(/^MD5:/)
    const good = ed.fingerprint
    // 43 characters whose last one sets the 2 bits a 32-byte hash leaves unused: not a canonical encoding.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
    const uncanonical = `${good.slice(0, -1)}${alphabet[alphabet.indexOf(good.at(-1)!) + 1]}`
    for (const bad of [md5, 'SHA256:', 'SHA256:abc', `${good}AA`, `${good.slice(0, -1)}*`, `${good}==`, uncanonical]) {
      expect(() => fixedHostKey(bad), bad).toThrow(TypeError)
    }
  })

  it('raises KeyError for a line that is not a public key', () => {
    expect(() => fixedHostKey('not a key')).toThrow(KeyError)
  })

  it('accepts every key when told to be insecure', async () => {
    const verify = insecureAcceptAnyHostKey()
    expect(await verify(ed, { hostname: 'h', port: 22 })).toBe(true)
    expect(await verify(rsa, { hostname: 'other', port: 2222 })).toBe(true)
  })
})
