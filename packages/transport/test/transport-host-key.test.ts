import { writeFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startSshd, type SshdHandle } from '@x/testbed'
import { HostKeyError, knownHosts, Transport, fixedHostKey, insecureAcceptAnyHostKey } from '@x/transport'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

let sshd: SshdHandle
let other: SshdHandle
let dir: string
beforeAll(async () => {
  ;[sshd, other] = await Promise.all([startSshd(), startSshd()])
  dir = await mkdtemp(join(tmpdir(), 'xssh-hostkey-'))
})
afterAll(async () => {
  await Promise.all([sshd?.close(), other?.close()])
  await rm(dir, { recursive: true, force: true })
})

async function knownHostsFile(name: string, lines: string[]): Promise<string> {
  const file = join(dir, name)
  await writeFile(file, lines.join('\n') + '\n')
  return file
}

function hostKeyErrorOf(err: unknown): HostKeyError {
  expect(err).toBeInstanceOf(HostKeyError)
  return err as HostKeyError
}

describe('Transport host-key checking', () => {
  it('rejects an unknown host key with reason "unknown" before any authentication reaches the server', async () => {
    const empty = await knownHostsFile('empty', [])
    const before = (await sshd.log()).length
    const t = new Transport(`${sshd.host}:${sshd.port}`, { hostKeyVerifier: knownHosts({ files: [empty] }) })
    const err = hostKeyErrorOf(await t.startClient().catch((e: unknown) => e))
    expect(err.code).toBe('ERR_SSH_HOST_KEY')
    expect(err.reason).toBe('unknown')
    expect(err.host).toBe(sshd.host)
    expect(err.port).toBe(sshd.port)
    expect(err.fingerprint).toMatch(/^SHA256:/)
    expect(t.isActive).toBe(false)
    await new Promise((resolve) => setTimeout(resolve, 200))
    const log = (await sshd.log()).slice(before)
    expect(log).not.toMatch(/userauth-request|Accepted|Failed (password|publickey|none)|input_userauth_request/)
  })

  it('rejects a changed host key with reason "mismatch" and the expected fingerprints', async () => {
    // The other server's keys, filed under this server's name and port: a changed key.
    const lines = other.knownHostsLines.map((line) => line.replace(`[127.0.0.1]:${other.port}`, `[127.0.0.1]:${sshd.port}`))
    const file = await knownHostsFile('changed', lines)
    const t = new Transport(`${sshd.host}:${sshd.port}`, { hostKeyVerifier: knownHosts({ files: [file] }) })
    const err = hostKeyErrorOf(await t.startClient().catch((e: unknown) => e))
    expect(err.reason).toBe('mismatch')
    expect(err.expected.length).toBeGreaterThan(0)
  })

  it('rejects a @revoked host key with reason "revoked", even when also listed as known', async () => {
    const lines = [...sshd.knownHostsLines, ...sshd.knownHostsLines.map((line) => `@revoked ${line}`)]
    const file = await knownHostsFile('revoked', lines)
    const t = new Transport(`${sshd.host}:${sshd.port}`, { hostKeyVerifier: knownHosts({ files: [file] }) })
    const err = hostKeyErrorOf(await t.startClient().catch((e: unknown) => e))
    expect(err.reason).toBe('revoked')
  })

  it('accepts a known key and reports it as remoteServerKey with the negotiated algorithms', async () => {
    await using t = new Transport(`${sshd.host}:${sshd.port}`, { hostKeyVerifier: knownHosts({ files: [sshd.knownHostsFile] }) })
    await t.startClient()
    expect(t.isActive).toBe(true)
    const fingerprints = sshd.hostKeys.map((k) => k.fingerprint)
    expect(fingerprints).toContain(t.remoteServerKey!.fingerprint)
    expect(t.negotiated).toMatchObject({ kex: expect.any(String), cipher: expect.any(String), strictKex: true })
  })

  it('prefers a host-key algorithm already known for the host', async () => {
    const ecdsa = sshd.knownHostsLines.filter((line) => line.includes('ecdsa-sha2-nistp256'))
    expect(ecdsa).toHaveLength(1)
    const file = await knownHostsFile('ecdsa-only', ecdsa)
    await using t = new Transport(`${sshd.host}:${sshd.port}`, { hostKeyVerifier: knownHosts({ files: [file] }) })
    await t.startClient()
    expect(t.negotiated!.hostKey).toBe('ecdsa-sha2-nistp256')
  })

  it('fixedHostKey accepts only that key; a rejecting verifier gives reason "rejected"', async () => {
    const line = sshd.hostKeys[0]!.publicLine
    const wrongLine = other.hostKeys[0]!.publicLine
    await using ok = new Transport(`${sshd.host}:${sshd.port}`, {
      hostKeyVerifier: fixedHostKey(line),
      algorithms: { serverHostKey: [line.split(' ')[0]!.replace('ssh-rsa', 'rsa-sha2-512')] },
    })
    await ok.startClient()
    const bad = new Transport(`${sshd.host}:${sshd.port}`, {
      hostKeyVerifier: fixedHostKey(wrongLine),
      algorithms: { serverHostKey: [line.split(' ')[0]!.replace('ssh-rsa', 'rsa-sha2-512')] },
    })
    const err = hostKeyErrorOf(await bad.startClient().catch((e: unknown) => e))
    expect(err.reason).toBe('rejected')
  })

  it("fixedHostKey pins sshd's host key by its SHA256 fingerprint; another fingerprint is rejected", async () => {
    const ed = sshd.hostKeys.find((k) => k.type === 'ssh-ed25519')!
    const algorithms = { serverHostKey: ['ssh-ed25519'] }
    await using ok = new Transport(`${sshd.host}:${sshd.port}`, { hostKeyVerifier: fixedHostKey(ed.fingerprint), algorithms })
    await ok.startClient()
    expect(ok.remoteServerKey!.fingerprint).toBe(ed.fingerprint)
    const wrong = other.hostKeys.find((k) => k.type === 'ssh-ed25519')!.fingerprint
    const bad = new Transport(`${sshd.host}:${sshd.port}`, { hostKeyVerifier: fixedHostKey(wrong), algorithms })
    const err = hostKeyErrorOf(await bad.startClient().catch((e: unknown) => e))
    expect(err).toMatchObject({ reason: 'rejected', fingerprint: ed.fingerprint, expected: [wrong] })
  })

  it('a verifier that throws or resolves false rejects; insecureAcceptAnyHostKey accepts', async () => {
    const throwing = new Transport(`${sshd.host}:${sshd.port}`, { hostKeyVerifier: () => { throw new Error('boom') } })
    expect(hostKeyErrorOf(await throwing.startClient().catch((e: unknown) => e)).reason).toBe('rejected')
    const falsy = new Transport(`${sshd.host}:${sshd.port}`, { hostKeyVerifier: async () => false })
    expect(hostKeyErrorOf(await falsy.startClient().catch((e: unknown) => e)).reason).toBe('rejected')
    await using any = new Transport(`${sshd.host}:${sshd.port}`, { hostKeyVerifier: insecureAcceptAnyHostKey() })
    await any.startClient()
    expect(any.isActive).toBe(true)
  })

  it('uses strict known_hosts over the user files by default (an unknown server is refused)', async () => {
    const t = new Transport(`${sshd.host}:${sshd.port}`)
    const err = hostKeyErrorOf(await t.startClient().catch((e: unknown) => e))
    expect(['unknown', 'mismatch']).toContain(err.reason)
  })
})
