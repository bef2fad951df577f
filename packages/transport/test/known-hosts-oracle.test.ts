/**
 * HostKeys.lookup against OpenSSH's own matcher: `ssh-keygen -l -F <host or [host]:port> -f <file>`
 * prints every line that matches, marked REVOKED or CA, with the key's fingerprint (DESIGN.md §4).
 */
import { execFile } from 'node:child_process'
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HostKeys } from '../src/host-keys/host-keys.js'

const run = promisify(execFile)

let dir = ''
/** Public key base64 by name; fingerprints by name. */
const b64: Record<string, string> = {}
const fp: Record<string, string> = {}
const KEYS = { A: 'ed25519', B: 'ecdsa', C: 'rsa', D: 'ed25519', E: 'ed25519' } as const
const TYPE = { ed25519: 'ssh-ed25519', ecdsa: 'ecdsa-sha2-nistp256', rsa: 'ssh-rsa' } as const

function line(hosts: string, key: keyof typeof KEYS, tail = ''): string {
  return `${hosts} ${TYPE[KEYS[key]]} ${b64[key]}${tail}`
}

/** Lines OpenSSH accepts (ssh-keygen -H refuses files with any other). */
function validLines(): string[] {
  const salt = Buffer.alloc(20, 7).toString('base64')
  return [
    '# a known_hosts corpus',
    line('example.com', 'A'),
    line('example.com,www.example.com,192.0.2.10', 'B'),
    line('[example.com]:2222', 'C'),
    line('[example.com]:2222,[192.0.2.10]:2222', 'D', ' comment with  spaces'),
    line('*.example.org', 'A'),
    line('web?.example.org,!web9.example.org', 'D'),
    line('!bad.example.net,*.example.net', 'C'),
    line('*.example.net,!*.internal.example.net', 'E'),
    line('[*.example.io]:*', 'B'),
    line('10.0.0.*', 'B'),
    line('[10.0.0.?]:22', 'A'),
    line('::1', 'C'),
    line('[::1]:2200', 'E'),
    line('2001:db8::1,[2001:db8::1]:2222', 'A'),
    `@revoked ${line('example.com', 'D')}`,
    `@revoked ${line('*.example.org', 'E')}`,
    `@revoked ${line('[example.com]:2222', 'C')}`,
    `@cert-authority ${line('*.ca.example.com', 'A')}`,
    `@cert-authority ${line('[*.ca.example.com]:*', 'B')}`,
    line('Mixed.Case.Example.COM', 'A'),
    `  ${line('indented.example.com', 'B', ' # not a comment')}`,
    `tabbed.example.com\tssh-ed25519\t${b64.A}\tcomment`,
    line('multi.example.com', 'A'),
    line('multi.example.com', 'B', ' second'),
    line('multi.example.com', 'C'),
    line('multi.example.com', 'A', ' the same key again'),
    `rsa-alias.example.com rsa-sha2-256 ${b64.C}`,
    `|1|${salt}|bm90IGEgcmVhbCBoYXNoIGF0IGFsbCE= ssh-ed25519 ${b64.A}`,
    '',
    '   ',
  ]
}

/** Lines OpenSSH skips; several name example.com so that accepting one would change a lookup. */
function malformedLines(): string[] {
  return [
    '@revoked',
    `@unknown example.com ssh-ed25519 ${b64.A}`,
    `@revoked @cert-authority example.com ssh-ed25519 ${b64.A}`,
    'host-without-key',
    'example.com ssh-ed25519',
    'example.com ssh-ed25519 !!!not-base64!!!',
    `example.com ssh-rsa ${b64.A}`,
    'example.com ssh-foo AAAAB3NzaC1yc2E=',
    'example.com 1024 35 1234567',
    `|1|bm90MjBieXRlcw==|abc= ssh-ed25519 ${b64.A}`,
    `example.com ssh-ed25519 ${b64.A?.slice(0, -8)}`,
    `example.com ecdsa-sha2-nistp384 ${b64.B}`,
    `shortname.example.com ED25519 ${b64.E}`,
  ]
}

const QUERIES: [string, number][] = [
  ['example.com', 22], ['example.com', 2222], ['example.com', 2200], ['www.example.com', 22],
  ['www.example.com', 2222], ['192.0.2.10', 22], ['192.0.2.10', 2222], ['a.example.org', 22],
  ['web1.example.org', 22], ['web9.example.org', 22], ['web10.example.org', 22], ['example.org', 22],
  ['x.example.net', 22], ['bad.example.net', 22], ['a.internal.example.net', 22], ['internal.example.net', 22],
  ['foo.example.io', 22], ['foo.example.io', 2022], ['10.0.0.5', 22], ['10.0.0.5', 2222], ['10.0.0.55', 22],
  ['::1', 22], ['::1', 2200], ['::1', 2201], ['2001:db8::1', 22], ['2001:db8::1', 2222],
  ['x.ca.example.com', 22], ['x.ca.example.com', 2222], ['mixed.case.example.com', 22],
  ['indented.example.com', 22], ['tabbed.example.com', 22], ['multi.example.com', 22],
  ['shortname.example.com', 22], ['rsa-alias.example.com', 22], ['nothing.invalid', 22],
  ['host-without-key', 22], ['example.com', 0],
]

interface Answer {
  keys: string[]
  revoked: string[]
  certAuthority: boolean
}

/** Asks ssh-keygen which lines of `file` match `name`; exit status 1 means none. */
async function oracle(file: string, name: string): Promise<Answer> {
  const out = await run('ssh-keygen', ['-l', '-F', name, '-f', file]).then(
    (r) => r.stdout,
    (err: { code?: number; stdout?: string }) => {
      if (err.code === 1) return err.stdout ?? ''
      throw err as Error
    },
  )
  const answer: Answer = { keys: [], revoked: [], certAuthority: false }
  const lines = out.split('\n')
  lines.forEach((l, i) => {
    const header = /^# Host .* found: line \d+ ?(REVOKED|CA)?\s*$/.exec(l)
    if (header === null) return
    const fingerprint = /SHA256:\S+/.exec(lines[i + 1] ?? '')?.[0] ?? 'missing'
    if (header[1] === 'CA') answer.certAuthority = true
    else (header[1] === 'REVOKED' ? answer.revoked : answer.keys).push(fingerprint)
  })
  return answer
}

function ours(known: HostKeys, host: string, port: number): Answer {
  const r = known.lookup(host, port)
  return { keys: r.keys.map((k) => k.fingerprint), revoked: r.revoked.map((k) => k.fingerprint), certAuthority: r.certAuthority }
}

const sorted = (a: Answer): Answer => ({ keys: [...new Set(a.keys)].sort(), revoked: [...new Set(a.revoked)].sort(), certAuthority: a.certAuthority })
const nameOf = (host: string, port: number): string => (port === 22 || port === 0 ? host : `[${host}]:${port}`)

let plainFile = ''
let hashedFile = ''

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xssh-known-hosts-oracle-'))
  await Promise.all(
    Object.entries(KEYS).map(async ([name, type]) => {
      const path = join(dir, name)
      await run('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', path, ...(type === 'rsa' ? ['-b', '2048'] : [])])
      b64[name] = (await readFile(`${path}.pub`, 'utf8')).split(' ')[1] ?? ''
      fp[name] = (await run('ssh-keygen', ['-l', '-f', `${path}.pub`])).stdout.split(' ')[1] ?? ''
    }),
  )
  plainFile = join(dir, 'known_hosts')
  await writeFile(plainFile, [...validLines(), ...malformedLines()].join('\n') + '\n')
  hashedFile = join(dir, 'known_hosts.hashed')
  await writeFile(hashedFile, validLines().join('\n') + '\n')
  await run('ssh-keygen', ['-H', '-f', hashedFile])
  await writeFile(hashedFile, (await readFile(hashedFile, 'utf8')) + malformedLines().join('\n') + '\n')
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('HostKeys.lookup agrees with ssh-keygen -F', () => {
  it('on a plain file with patterns, negation, ports, IPs, markers and malformed lines', async () => {
    const known = new HostKeys([plainFile])
    for (const [host, port] of [...QUERIES, ['EXAMPLE.COM', 22], ['Mixed.Case.Example.com', 22]] as [string, number][]) {
      expect(sorted(ours(known, host, port)), nameOf(host, port)).toEqual(sorted(await oracle(plainFile, nameOf(host, port))))
    }
    expect(ours(known, 'example.com', 22).keys.length).toBeGreaterThan(0) // the corpus is not vacuous
  })

  it('on the same file hashed by ssh-keygen -H', async () => {
    const text = await readFile(hashedFile, 'utf8')
    expect(text).toMatch(/^\|1\|/m)
    expect(text).not.toMatch(/^multi\.example\.com /m)
    const known = new HostKeys([hashedFile])
    for (const [host, port] of QUERIES) {
      expect(sorted(ours(known, host, port)), nameOf(host, port)).toEqual(sorted(await oracle(hashedFile, nameOf(host, port))))
    }
  })

  it('on a file written hashed by HostKeys.save, read back by ssh-keygen', async () => {
    const original = new HostKeys([plainFile])
    const saved = join(dir, 'saved-hashed')
    await original.save(saved, { hash: true })
    const text = await readFile(saved, 'utf8')
    expect(text).toMatch(/^\|1\|/m)
    expect(text).not.toMatch(/^multi\.example\.com /m)
    for (const bad of malformedLines()) expect(text).toContain(bad) // kept verbatim
    for (const [host, port] of QUERIES) {
      expect(sorted(await oracle(saved, nameOf(host, port))), nameOf(host, port)).toEqual(sorted(ours(original, host, port)))
    }
  })

  it('counts every malformed line and reads every valid one', async () => {
    const known = new HostKeys([plainFile])
    expect(known.malformedLines.map((m) => m.line)).toEqual(malformedLines().map((_, i) => validLines().length + i + 1))
    expect(known.size).toBe(validLines().filter((l) => l.trim() !== '' && !l.startsWith('#')).length)
    const copy = join(dir, 'copy')
    await copyFile(plainFile, copy)
    expect(new HostKeys([copy]).malformedLines.every((m) => m.source === copy)).toBe(true)
  })
})
