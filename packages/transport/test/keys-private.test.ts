import { execFile } from 'node:child_process'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect, promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KeyError } from '../src/errors.js'
import type { KeyErrorReason } from '../src/errors.js'
import { ssh2KeyOf } from '../src/keys/internal.js'
import { loadPrivateKey, PrivateKey } from '../src/keys/private-key.js'

const run = promisify(execFile)
const PASSPHRASE = 'correct-horse-4711'
const WRONG = 'wrong-battery-0815'

type KeyKind = 'ed25519' | 'ecdsa' | 'rsa'
type Format = 'openssh' | 'pem' | 'pkcs8'

interface Fixture {
  path: string
  text: string
  fingerprint: string
  publicLine: string
}

let dir = ''
const fixtures = new Map<string, Fixture>()
const id = (kind: KeyKind, format: Format, encrypted: boolean): string => `${kind}-${format}${encrypted ? '-enc' : ''}`

async function remember(kind: KeyKind, format: Format, encrypted: boolean, path: string): Promise<void> {
  const { stdout } = await run('ssh-keygen', ['-l', '-f', `${path}.pub`])
  fixtures.set(id(kind, format, encrypted), {
    path,
    text: await readFile(path, 'utf8'),
    fingerprint: stdout.split(' ')[1] ?? '',
    publicLine: (await readFile(`${path}.pub`, 'utf8')).trim(),
  })
}

/** ssh-keygen writes Ed25519 keys in the OpenSSH format whatever -m says: PKCS#8 ones come from OpenSSL (Node). */
async function generateEd25519Pkcs8(encrypted: boolean): Promise<void> {
  const path = join(dir, id('ed25519', 'pkcs8', encrypted))
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const pem = encrypted
    ? privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: PASSPHRASE })
    : privateKey.export({ type: 'pkcs8', format: 'pem' })
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url')
  const blob = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), raw])
  await writeFile(path, pem, { mode: 0o600 })
  await writeFile(`${path}.pub`, `ssh-ed25519 ${blob.toString('base64')} test ed25519\n`)
  await remember('ed25519', 'pkcs8', encrypted, path)
}

async function generate(kind: KeyKind, format: Format, encrypted: boolean): Promise<void> {
  if (kind === 'ed25519' && format === 'pkcs8') return generateEd25519Pkcs8(encrypted)
  const path = join(dir, id(kind, format, encrypted))
  const args = ['-q', '-t', kind, '-N', encrypted ? PASSPHRASE : '', '-C', `test ${kind}`, '-f', path]
  if (kind === 'rsa') args.push('-b', '2048')
  if (format !== 'openssh') args.push('-m', format === 'pem' ? 'PEM' : 'PKCS8')
  await run('ssh-keygen', args)
  await remember(kind, format, encrypted, path)
}

/** The formats each kind exists in: OpenSSH has no PEM form of Ed25519 keys. */
function formatsOf(kind: KeyKind): Format[] {
  return kind === 'ed25519' ? ['openssh', 'pkcs8'] : ['openssh', 'pem', 'pkcs8']
}

function fixture(kind: KeyKind, format: Format, encrypted = false): Fixture {
  const f = fixtures.get(id(kind, format, encrypted))
  if (f === undefined) throw new Error('missing fixture')
  return f
}

async function reasonOf(promise: Promise<unknown>): Promise<KeyErrorReason | 'loaded'> {
  try {
    await promise
    return 'loaded'
  } catch (err) {
    expect(err).toBeInstanceOf(KeyError)
    expect((err as KeyError).code).toBe('ERR_SSH_KEY')
    return (err as KeyError).reason
  }
}

const KINDS: KeyKind[] = ['ed25519', 'ecdsa', 'rsa']
const TYPE: Record<KeyKind, string> = { ed25519: 'ssh-ed25519', ecdsa: 'ecdsa-sha2-nistp256', rsa: 'ssh-rsa' }

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xssh-keys-private-'))
  const jobs: Promise<void>[] = []
  for (const kind of KINDS) {
    for (const format of formatsOf(kind)) {
      for (const encrypted of [false, true]) jobs.push(generate(kind, format, encrypted))
    }
  }
  await Promise.all(jobs)
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('loadPrivateKey formats', () => {
  for (const kind of KINDS) {
    for (const format of formatsOf(kind)) {
      it(`loads an unencrypted ${kind} key (${format}) with the fingerprint of ssh-keygen -lf`, async () => {
        const f = fixture(kind, format)
        const key = await loadPrivateKey(f.path)
        expect(key).toBeInstanceOf(PrivateKey)
        expect(key.type).toBe(TYPE[kind])
        expect(key.publicKey.fingerprint).toBe(f.fingerprint)
        expect(f.publicLine.startsWith(key.publicKey.toString())).toBe(true)
      })

      it(`loads an encrypted ${kind} key (${format}) with the right passphrase, as string or Buffer`, async () => {
        const f = fixture(kind, format, true)
        expect((await loadPrivateKey(f.path, { passphrase: PASSPHRASE })).publicKey.fingerprint).toBe(f.fingerprint)
        const buf = Buffer.from(PASSPHRASE)
        expect((await loadPrivateKey(f.path, { passphrase: buf })).publicKey.fingerprint).toBe(f.fingerprint)
        expect(buf.toString()).toBe(PASSPHRASE) // the caller's Buffer is not wiped
      })

      it(`raises KeyError passphrase for an encrypted ${kind} key (${format}) with no, empty or wrong passphrase`, async () => {
        const f = fixture(kind, format, true)
        expect(await reasonOf(loadPrivateKey(f.path))).toBe('passphrase')
        expect(await reasonOf(loadPrivateKey(f.path, { passphrase: '' }))).toBe('passphrase')
        expect(await reasonOf(loadPrivateKey(f.path, { passphrase: WRONG }))).toBe('passphrase')
      })
    }
  }

  it('keeps the comment of an OpenSSH-format key', async () => {
    expect((await loadPrivateKey(fixture('ed25519', 'openssh').path)).comment).toBe('test ed25519')
  })

  it('accepts key text and a Buffer as well as a path, and ignores a passphrase an unencrypted key does not need', async () => {
    const f = fixture('ecdsa', 'openssh')
    expect((await loadPrivateKey(f.text)).publicKey.fingerprint).toBe(f.fingerprint)
    expect((await loadPrivateKey(Buffer.from(f.text))).publicKey.fingerprint).toBe(f.fingerprint)
    expect((await loadPrivateKey(f.path, { passphrase: WRONG })).publicKey.fingerprint).toBe(f.fingerprint)
  })

  it('hands the Transport an ssh2 key that signs for the public key', async () => {
    for (const kind of KINDS) {
      const key = await loadPrivateKey(fixture(kind, 'pkcs8', true).path, { passphrase: PASSPHRASE })
      const parsed = ssh2KeyOf(key)
      const data = randomBytes(64)
      const algo = kind === 'rsa' ? 'sha512' : undefined
      expect(parsed.verify(data, parsed.sign(data, algo), algo)).toBe(true)
      expect(parsed.getPublicSSH().equals(key.publicKey.blob)).toBe(true)
    }
  })
})

describe('loadPrivateKey failures', () => {
  it('raises KeyError unreadable for a missing file, a directory and a FIFO (without waiting for a writer)', async () => {
    expect(await reasonOf(loadPrivateKey(join(dir, 'does-not-exist')))).toBe('unreadable')
    expect(await reasonOf(loadPrivateKey(dir))).toBe('unreadable')
    const fifo = join(dir, 'fifo')
    await run('mkfifo', [fifo])
    expect(await reasonOf(loadPrivateKey(fifo))).toBe('unreadable')
  })

  it('raises KeyError invalid for a public key, text that is no key, and damaged key bodies', async () => {
    expect(await reasonOf(loadPrivateKey(`${fixture('rsa', 'openssh').path}.pub`))).toBe('invalid')
    expect(await reasonOf(loadPrivateKey(Buffer.from('hello\nworld\n')))).toBe('invalid')
    const lines = fixture('ed25519', 'openssh').text.split('\n')
    lines.splice(2, 1)
    expect(await reasonOf(loadPrivateKey(lines.join('\n')))).toBe('invalid')
    const pemLines = fixture('rsa', 'pem').text.split('\n')
    pemLines[5] = 'A'.repeat((pemLines[5] ?? '').length)
    expect(await reasonOf(loadPrivateKey(pemLines.join('\n')))).toBe('invalid')
  })

  it('raises KeyError unsupported for a key type ssh2 cannot use', async () => {
    const { privateKey } = generateKeyPairSync('ed448')
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    expect(await reasonOf(loadPrivateKey(pem))).toBe('unsupported')
  })

  it('raises TypeError for arguments of the wrong type', async () => {
    await expect(loadPrivateKey(42 as unknown as string)).rejects.toThrow(TypeError)
    await expect(loadPrivateKey(fixture('rsa', 'pem').path, { passphrase: 7 as unknown as string })).rejects.toThrow(TypeError)
  })
})

describe('PrivateKey secrecy', () => {
  /** Pieces of key material: 20-character runs of the file's base64 and of ssh2's private PEM. */
  function secretPieces(text: string, key: PrivateKey): string[] {
    const bodies = [text, ssh2KeyOf(key).getPrivatePEM()].map((t) => t.replace(/-----[^-]+-----|Proc-Type:.*|DEK-Info:.*|\s/g, ''))
    return bodies.flatMap((b) => b.match(/.{20}/g) ?? [])
  }

  for (const kind of KINDS) {
    it(`never shows ${kind} key material or the passphrase in inspect, JSON or String`, async () => {
      const f = fixture(kind, 'openssh', true)
      const key = await loadPrivateKey(f.path, { passphrase: PASSPHRASE })
      const views = [
        inspect(key, { showHidden: true, depth: Infinity, getters: true }),
        JSON.stringify(key),
        String(key),
        `${key}`,
        inspect({ wrapper: key }, { showHidden: true, depth: Infinity }),
      ]
      const pieces = secretPieces(f.text, key)
      expect(pieces.length).toBeGreaterThan(5)
      for (const view of views) {
        expect(view).toContain(key.publicKey.fingerprint)
        expect(view).not.toContain(PASSPHRASE)
        expect(view).not.toMatch(/PRIVATE KEY/)
        for (const piece of pieces) expect(view).not.toContain(piece)
      }
      expect(Object.getOwnPropertySymbols(key)).toEqual([])
      expect(Object.keys(key).sort()).toEqual(['comment', 'publicKey', 'type'])
    })
  }

  it('never puts the passphrase in error messages or their causes', async () => {
    for (const format of ['openssh', 'pem', 'pkcs8'] as Format[]) {
      for (const [passphrase, given] of [[WRONG, WRONG], [Buffer.from(WRONG), WRONG]] as const) {
        const err = await loadPrivateKey(fixture('rsa', format, true).path, { passphrase }).catch((e: unknown) => e)
        expect(err).toBeInstanceOf(KeyError)
        const shown = inspect(err, { depth: Infinity, showHidden: true }) + JSON.stringify(err) + String(err)
        expect(shown).not.toContain(given)
        expect(shown).not.toContain(PASSPHRASE)
      }
    }
  })
})
