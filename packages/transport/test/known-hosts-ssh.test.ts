/**
 * knownHosts() verdicts against OpenSSH's own client: for each known_hosts file, `ssh` to a real
 * sshd either gets past the host-key check (ok) or refuses the key as unknown, changed or
 * revoked; the verifier must say the same about the same key (DESIGN.md §4, oracles).
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { startSshd } from '@x/testbed'
import type { SshdHandle } from '@x/testbed'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HostKeyError } from '../src/errors.js'
import { knownHosts } from '../src/host-keys/verifiers.js'
import { PublicKey } from '../src/keys/public-key.js'

const run = promisify(execFile)

type Verdict = 'ok' | 'unknown' | 'mismatch' | 'revoked'

let dir = ''
let sshd: SshdHandle
let server: PublicKey // the server's ed25519 key: ssh is told to negotiate ssh-ed25519
let serverEcdsa: PublicKey
let other: PublicKey
let otherRsa: PublicKey
let name = ''

/**
 * Runs OpenSSH's client against the server with only `file` as known_hosts and classifies its
 * host-key verdict from `-v` output, whatever happens at authentication afterwards.
 */
async function sshVerdict(file: string, policy: 'yes' | 'accept-new' = 'yes', hash = false): Promise<Verdict> {
  const args = [
    '-v', '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', `StrictHostKeyChecking=${policy}`,
    '-o', `UserKnownHostsFile=${file}`, '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'HostKeyAlgorithms=ssh-ed25519',
    '-o', `HashKnownHosts=${hash ? 'yes' : 'no'}`, '-o', 'CheckHostIP=no', '-o', 'ConnectTimeout=10',
    '-o', 'PubkeyAuthentication=no', '-o', 'PasswordAuthentication=no', '-o', 'KbdInteractiveAuthentication=no',
    '-p', String(sshd.port), `${sshd.user}@${sshd.host}`, 'true',
  ]
  const { stderr } = await run('ssh', args).then(
    (r) => r,
    (err: { stderr?: string }) => ({ stderr: err.stderr ?? '' }),
  )
  if (/REVOKED HOST KEY/.test(stderr)) return 'revoked'
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED/.test(stderr)) return 'mismatch'
  if (/Host key verification failed/.test(stderr)) return 'unknown'
  if (/is known and matches the ED25519 host key|Permanently added/.test(stderr)) return 'ok'
  throw new Error(`ssh gave no host-key verdict:\n${stderr}`)
}

async function ourVerdict(file: string, policy: 'strict' | 'accept-new' = 'strict', hash = false): Promise<Verdict> {
  try {
    const ok = await knownHosts({ files: [file], policy, hash })(server, { hostname: sshd.host, port: sshd.port })
    expect(ok).toBe(true)
    return 'ok'
  } catch (err) {
    expect(err).toBeInstanceOf(HostKeyError)
    return (err as HostKeyError).reason as Verdict
  }
}

let counter = 0
async function knownHostsFile(lines: string[]): Promise<string> {
  const file = join(dir, `known_hosts-${++counter}`)
  await writeFile(file, lines.map((l) => `${l}\n`).join(''))
  return file
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xssh-known-hosts-ssh-'))
  sshd = await startSshd()
  const publicOf = (type: string): PublicKey => {
    const key = sshd.hostKeys.find((k) => k.type === type)
    if (key === undefined) throw new Error(`server has no ${type} key`)
    return PublicKey.parse(key.publicLine)
  }
  server = publicOf('ssh-ed25519')
  serverEcdsa = publicOf('ecdsa-sha2-nistp256')
  const gen = async (n: string, type: string): Promise<PublicKey> => {
    await run('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', join(dir, n), ...(type === 'rsa' ? ['-b', '2048'] : [])])
    return PublicKey.parse(await readFile(join(dir, `${n}.pub`), 'utf8'))
  }
  ;[other, otherRsa] = await Promise.all([gen('other', 'ed25519'), gen('other-rsa', 'rsa')])
  name = `[${sshd.host}]:${sshd.port}`
})

afterAll(async () => {
  await sshd?.close()
  await rm(dir, { recursive: true, force: true })
})

describe('knownHosts() agrees with OpenSSH ssh StrictHostKeyChecking=yes', () => {
  const cases: [string, () => string[]][] = [
    ['the key listed under [host]:port', () => [`${name} ${server}`]],
    ['another key of the same type', () => [`${name} ${other}`]],
    ['only a key of another type', () => [`${name} ${otherRsa}`]],
    ["the server's own ECDSA key while it presents Ed25519", () => [`${name} ${serverEcdsa}`]],
    ['an empty file', () => []],
    ['the key listed and @revoked', () => [`${name} ${server}`, `@revoked ${name} ${server}`]],
    ['the key @revoked by a wildcard line only', () => [`@revoked * ${server}`]],
    ['another key @revoked and the key listed', () => [`@revoked ${name} ${other}`, `${name} ${server}`]],
    ['a @cert-authority line for the host only', () => [`@cert-authority [127.0.0.*]:* ${server}`]],
    ['the key under a wildcard pattern', () => [`[127.0.0.*]:* ${server}`]],
    ['the key under a pattern whose negation names the host', () => [`[127.0.0.*]:*,!${name} ${server}`]],
    ['the key under the bare address (port 22 form)', () => [`${sshd.host} ${server}`]],
    ['another key under the bare address', () => [`${sshd.host} ${other}`]],
    ['the key under the bare address and another under [host]:port', () => [`${sshd.host} ${server}`, `${name} ${other}`]],
    ['several keys including the right one', () => [`${name} ${other}`, `${name} ${otherRsa}`, `${name} ${server}`]],
  ]
  for (const [title, lines] of cases) {
    it(`gives ssh's verdict for ${title}`, async () => {
      const file = await knownHostsFile(lines())
      const expected = await sshVerdict(file)
      expect(await ourVerdict(file)).toBe(expected)
    })
  }

  it("gives ssh's verdict for the key under a name hashed by ssh-keygen -H", async () => {
    const file = await knownHostsFile([`${name} ${server}`])
    await run('ssh-keygen', ['-H', '-f', file])
    expect(await readFile(file, 'utf8')).toMatch(/^\|1\|/)
    expect(await sshVerdict(file)).toBe('ok')
    expect(await ourVerdict(file)).toBe('ok')
  })
})

describe('knownHosts() accept-new writes what ssh StrictHostKeyChecking=accept-new writes', () => {
  it('appends the same line to the same file, which both then accept', async () => {
    const theirs = await knownHostsFile([])
    const ours = await knownHostsFile([])
    expect(await sshVerdict(theirs, 'accept-new')).toBe('ok')
    expect(await ourVerdict(ours, 'accept-new')).toBe('ok')
    expect(await readFile(ours, 'utf8')).toBe(await readFile(theirs, 'utf8'))
    expect(await sshVerdict(ours)).toBe('ok')
  })

  it('writes a hashed entry that ssh accepts, and ssh-written hashed entries are accepted', async () => {
    const theirs = await knownHostsFile([])
    const ours = await knownHostsFile([])
    expect(await sshVerdict(theirs, 'accept-new', true)).toBe('ok')
    expect(await ourVerdict(ours, 'accept-new', true)).toBe('ok')
    expect(await readFile(ours, 'utf8')).toMatch(/^\|1\|\S+ ssh-ed25519 \S+\n$/)
    expect(await sshVerdict(ours)).toBe('ok')
    expect(await ourVerdict(theirs)).toBe('ok')
  })
})
