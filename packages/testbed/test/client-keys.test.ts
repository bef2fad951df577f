import { statSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { KEY_CACHE_ENV, clientKeys, fingerprintOfPublicLine, runCommand } from '../src/index.js'

describe('clientKeys', () => {
  it('generates each key once per process', async () => {
    expect(await clientKeys()).toBe(await clientKeys())
  })

  it('shares one key set per run through the globalSetup key cache', async () => {
    const shared = process.env[KEY_CACHE_ENV]
    expect(shared).toBeTruthy()
    const keys = await clientKeys()
    for (const key of keys.authorized) expect(key.privatePath.startsWith(`${shared}/`)).toBe(true)
  })

  it('has ed25519, ecdsa (nistp256), rsa 3072 and PEM RSA keys, private files 0600', async () => {
    const keys = await clientKeys()
    expect(keys.ed25519.publicLine).toMatch(/^ssh-ed25519 /)
    expect(keys.ecdsa.publicLine).toMatch(/^ecdsa-sha2-nistp256 /)
    expect(keys.rsa.publicLine).toMatch(/^ssh-rsa /)
    const bits = await runCommand('/usr/bin/ssh-keygen', ['-l', '-f', keys.rsa.publicPath])
    expect(bits.stdout).toMatch(/^3072 /)
    expect(keys.rsaPem.privateText).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/)
    expect(keys.rsaPem.format).toBe('pem')
    expect(keys.ed25519.privateText).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/)
    for (const key of [...keys.authorized, keys.unauthorized]) {
      expect(statSync(key.privatePath).mode & 0o777).toBe(0o600)
      expect(fingerprintOfPublicLine(key.publicLine)).toBe(key.fingerprint)
    }
  })

  it('encrypts ed25519Encrypted with its passphrase', async () => {
    const { ed25519Encrypted: key } = await clientKeys()
    expect(key.passphrase).toBeTruthy()
    const wrong = await runCommand('/usr/bin/ssh-keygen', ['-y', '-P', 'wrong', '-f', key.privatePath], { allowFailure: true })
    expect(wrong.code).not.toBe(0)
    const right = await runCommand('/usr/bin/ssh-keygen', ['-y', '-P', key.passphrase ?? '', '-f', key.privatePath])
    expect(right.stdout.split(' ')[1]).toBe(key.publicLine.split(' ')[1])
  })

  it('authorizes every key but `unauthorized`', async () => {
    const keys = await clientKeys()
    expect(keys.authorized).toEqual([keys.ed25519, keys.ecdsa, keys.rsa, keys.ed25519Encrypted, keys.rsaPem])
    expect(keys.authorized).not.toContain(keys.unauthorized)
  })
})
