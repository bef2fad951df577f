import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect, promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KeyError } from '../src/errors.js'
import { PublicKey } from '../src/keys/public-key.js'

const run = promisify(execFile)

interface Generated {
  line: string
  fingerprint: string
}

let dir = ''
const keys: Record<string, Generated> = {}

async function generate(name: string, args: string[]): Promise<void> {
  const path = join(dir, name)
  await run('ssh-keygen', ['-q', '-N', '', '-C', `comment ${name}`, '-f', path, ...args])
  const { stdout } = await run('ssh-keygen', ['-l', '-f', `${path}.pub`])
  keys[name] = { line: (await readFile(`${path}.pub`, 'utf8')).trim(), fingerprint: stdout.split(' ')[1] ?? '' }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xssh-keys-public-'))
  await Promise.all([
    generate('ed25519', ['-t', 'ed25519']),
    generate('ecdsa256', ['-t', 'ecdsa', '-b', '256']),
    generate('ecdsa384', ['-t', 'ecdsa', '-b', '384']),
    generate('ecdsa521', ['-t', 'ecdsa', '-b', '521']),
    generate('rsa', ['-t', 'rsa', '-b', '2048']),
  ])
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const TYPES: Record<string, string> = {
  ed25519: 'ssh-ed25519',
  ecdsa256: 'ecdsa-sha2-nistp256',
  ecdsa384: 'ecdsa-sha2-nistp384',
  ecdsa521: 'ecdsa-sha2-nistp521',
  rsa: 'ssh-rsa',
}

function generated(name: string): Generated {
  const key = keys[name]
  if (key === undefined) throw new Error(`no key ${name}`)
  return key
}

describe('PublicKey.parse', () => {
  for (const [name, type] of Object.entries(TYPES)) {
    it(`reads a ${type} .pub line with type, comment and the fingerprint ssh-keygen -lf prints`, () => {
      const { line, fingerprint } = generated(name)
      const key = PublicKey.parse(line)
      expect(key.type).toBe(type)
      expect(key.fingerprint).toBe(fingerprint)
      expect(key.comment).toBe(`comment ${name}`)
      expect(line.startsWith(key.toString())).toBe(true)
      expect(key.toString().split(' ')).toHaveLength(2)
    })
  }

  it('reads a line without a comment, and the first key line of a text with comments', () => {
    const { line } = generated('ed25519')
    const bare = line.split(' ').slice(0, 2).join(' ')
    expect(PublicKey.parse(bare).comment).toBe('')
    expect(PublicKey.parse(`# my key\n\n${line}\n`).equals(PublicKey.parse(bare))).toBe(true)
    expect(PublicKey.parse(Buffer.from(`${line}\r\n`)).toString()).toBe(bare)
  })

  it('raises KeyError invalid for bad base64, no key line, or a type that differs from the blob', () => {
    const base64 = generated('ed25519').line.split(' ')[1] ?? ''
    for (const text of ['', '# only a comment', 'ssh-ed25519', 'ssh-ed25519 !!!!', `ssh-rsa ${base64}`, `ssh-ed25519 ${base64.slice(0, -4)}`]) {
      expect(() => PublicKey.parse(text), text).toThrow(KeyError)
      try {
        PublicKey.parse(text)
      } catch (err) {
        expect((err as KeyError).reason, text).toBe('invalid')
        expect((err as KeyError).code).toBe('ERR_SSH_KEY')
      }
    }
  })

  it('raises TypeError for a non-string argument', () => {
    expect(() => PublicKey.parse(42 as unknown as string)).toThrow(TypeError)
  })
})

describe('PublicKey.fromBlob', () => {
  it('round-trips the blob and reads the type from its first string', () => {
    for (const name of Object.keys(TYPES)) {
      const parsed = PublicKey.parse(generated(name).line)
      const again = PublicKey.fromBlob(parsed.blob)
      expect(again.type).toBe(TYPES[name])
      expect(again.fingerprint).toBe(parsed.fingerprint)
      expect(again.equals(parsed)).toBe(true)
      expect(again.blob.equals(Buffer.from(generated(name).line.split(' ')[1] ?? '', 'base64'))).toBe(true)
    }
  })

  it('returns a copy of the blob, so callers cannot change the key', () => {
    const key = PublicKey.parse(generated('ed25519').line)
    const blob = key.blob
    blob.fill(0)
    expect(key.blob.equals(blob)).toBe(false)
  })

  function reasonOf(blob: Buffer): string {
    try {
      PublicKey.fromBlob(blob)
      return 'accepted'
    } catch (err) {
      expect(err).toBeInstanceOf(KeyError)
      return (err as KeyError).reason
    }
  }

  it('raises KeyError invalid on garbage, truncation, trailing bytes and off-curve points', () => {
    const good = PublicKey.parse(generated('ecdsa256').line).blob
    const offCurve = Buffer.from(good)
    offCurve[offCurve.length - 1] = (offCurve[offCurve.length - 1] as number) ^ 1
    expect(reasonOf(Buffer.alloc(0))).toBe('invalid')
    expect(reasonOf(Buffer.from('not an ssh key at all'))).toBe('invalid')
    expect(reasonOf(good.subarray(0, good.length - 1))).toBe('invalid')
    expect(reasonOf(Buffer.concat([good, Buffer.from([0])]))).toBe('invalid')
    expect(reasonOf(offCurve)).toBe('invalid')
    const ed = PublicKey.parse(generated('ed25519').line).blob
    expect(reasonOf(ed.subarray(0, ed.length - 1))).toBe('invalid')
  })

  it('raises KeyError unsupported for a well-formed blob of an unknown type', () => {
    const blob = Buffer.from('\x00\x00\x00\x0bssh-unknown\x00\x00\x00\x01x', 'latin1')
    expect(reasonOf(blob)).toBe('unsupported')
  })
})

describe('PublicKey equality and display', () => {
  it('compares by blob, ignoring comments', () => {
    const a = PublicKey.parse(generated('rsa').line)
    const b = PublicKey.parse(`${a.toString()} another comment`)
    expect(a.equals(b)).toBe(true)
    expect(a.equals(PublicKey.parse(generated('ed25519').line))).toBe(false)
  })

  it('shows type and fingerprint in inspect and JSON', () => {
    const key = PublicKey.parse(generated('ed25519').line)
    expect(inspect(key)).toBe(`PublicKey { ssh-ed25519 ${key.fingerprint} }`)
    expect(JSON.parse(JSON.stringify(key))).toEqual({ type: 'ssh-ed25519', fingerprint: key.fingerprint, key: key.toString() })
  })
})
