import { chmod, chown, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError } from '@x/transport'
import { AuthorizedKeys, KeyRestrictions } from '@x/server'
import { keygenLines, pub } from './authorized-keys-fixtures.js'
import type { KeygenLines } from './authorized-keys-fixtures.js'

let k: KeygenLines
let dir: string
beforeAll(async () => {
  k = await keygenLines()
  dir = await mkdtemp(join(tmpdir(), 'akeys-load-'))
})
afterAll(async () => {
  await k.cleanup()
  await rm(dir, { recursive: true, force: true })
})

function restrictions(options: string): KeyRestrictions {
  const ak = AuthorizedKeys.parse(`${options} ${k.ed25519}\n`)
  const d = ak.check(pub(k.ed25519), { address: '127.0.0.1', permitUserEnvironment: true })
  if (!d.accepted) throw new Error(`refused: ${options}`)
  return d.restrictions
}

describe('KeyRestrictions.combine (two factors, the most restrictive kept)', () => {
  it('grants a permission only when both grant it', () => {
    const both = KeyRestrictions.combine(restrictions('no-pty'), restrictions('no-agent-forwarding'))
    expect(both?.allowPty()).toBe(false)
    expect(both?.allowAgentForwarding()).toBe(false)
    expect(both?.allowX11()).toBe(true)
    expect(KeyRestrictions.combine(KeyRestrictions.none, restrictions('restrict'))?.allowPortForwarding()).toBe(false)
  })

  it('keeps one forced command, accepts two equal ones, and refuses two different ones', () => {
    expect(KeyRestrictions.combine(KeyRestrictions.none, restrictions('command="a"'))?.forcedCommand).toBe('a')
    expect(KeyRestrictions.combine(restrictions('command="a"'), restrictions('command="a"'))?.forcedCommand).toBe('a')
    expect(KeyRestrictions.combine(restrictions('command="a"'), restrictions('command="b"'))).toBeUndefined()
  })

  it('needs an open or listen allowed by both permit lists', () => {
    const both = KeyRestrictions.combine(restrictions('permitopen="h:1",permitopen="h:2"'), restrictions('permitopen="h:*"'))
    expect(both?.allowOpen('h', 1)).toBe(true)
    expect(both?.allowOpen('h', 3)).toBe(false)
    const listen = KeyRestrictions.combine(restrictions('permitlisten="1"'), restrictions('permitlisten="localhost:*"'))
    expect(listen?.allowListen('localhost', 1)).toBe(true)
    expect(listen?.allowListen('0.0.0.0', 1)).toBe(false)
  })

  it('keeps the earliest expiry and the first factor\'s value of a variable', () => {
    const a = restrictions('expiry-time="20990101Z",environment="A=1"')
    const b = restrictions('expiry-time="20980101Z",environment="A=2",environment="B=3"')
    const both = KeyRestrictions.combine(a, b)
    expect(both?.expiresAt?.toISOString()).toBe('2098-01-01T00:00:00.000Z')
    expect(Object.fromEntries(both?.environment ?? [])).toEqual({ A: '1', B: '3' })
  })

  it('is immutable: the environment handed out is a copy', () => {
    const r = restrictions('environment="A=1"')
    ;(r.environment as Map<string, string>).set('A', 'changed')
    expect(r.environment.get('A')).toBe('1')
    expect(Object.isFrozen(r)).toBe(true)
  })
})

describe('AuthorizedKeys.load and StrictModes', () => {
  const home = (): string => dir
  async function file(name: string, mode: number): Promise<string> {
    const path = join(dir, name)
    await writeFile(path, `no-pty ${k.ed25519}\n`)
    await chmod(path, mode)
    return path
  }

  it('reads a 0600 or 0644 file owned by the user', async () => {
    await chmod(dir, 0o700)
    for (const mode of [0o600, 0o644]) {
      const ak = await AuthorizedKeys.load(await file(`ok-${mode.toString(8)}`, mode), { home: home() })
      expect(ak.entries[0]?.source).toMatch(/ok-/)
      expect(ak.entries[0]?.options.pty).toBe(false)
    }
  })

  it.each([0o620, 0o602, 0o666])('refuses a file of mode %o with ConfigError, unless strictModes is false', async (mode) => {
    const path = await file(`bad-${mode.toString(8)}`, mode)
    await expect(AuthorizedKeys.load(path, { home: home() })).rejects.toSatisfy(
      (e: unknown) => e instanceof ConfigError && e.code === 'ERR_SSH_CONFIG' && e.file === path,
    )
    expect((await AuthorizedKeys.load(path, { home: home(), strictModes: false })).entries).toHaveLength(1)
  })

  it('refuses a file owned by another user, and one in a group-writable directory', async () => {
    const path = await file('other-owner', 0o600)
    await chown(path, 4242, 4242)
    await expect(AuthorizedKeys.load(path, { home: home() })).rejects.toBeInstanceOf(ConfigError)
    // Owned by root is always fine (sshd accepts root-owned files).
    await expect(AuthorizedKeys.load(path, { home: home(), uid: 4242 })).resolves.toBeInstanceOf(AuthorizedKeys)
    const sub = join(dir, 'loose')
    await mkdir(sub)
    await chmod(sub, 0o775)
    const inner = join(sub, 'authorized_keys')
    await writeFile(inner, `${k.ed25519}\n`, { mode: 0o600 })
    await expect(AuthorizedKeys.load(inner, { home: home() })).rejects.toBeInstanceOf(ConfigError)
    await chmod(sub, 0o755)
    await expect(AuthorizedKeys.load(inner, { home: home() })).resolves.toBeInstanceOf(AuthorizedKeys)
  })

  it('follows a symlink and judges the real file; refuses a directory', async () => {
    const target = await file('target', 0o666)
    const link = join(dir, 'link')
    await symlink(target, link)
    await expect(AuthorizedKeys.load(link, { home: home() })).rejects.toBeInstanceOf(ConfigError)
    await expect(AuthorizedKeys.load(dir, { home: home() })).rejects.toBeInstanceOf(ConfigError)
  })

  it('walks up past a home the file is not under: a 1777 directory above refuses it, as sshd would', async () => {
    const sticky = join(dir, 'sticky')
    await mkdir(sticky)
    await chmod(sticky, 0o1777)
    const path = join(sticky, 'authorized_keys')
    await writeFile(path, `${k.ed25519}\n`, { mode: 0o600 })
    await expect(AuthorizedKeys.load(path, { home: '/nonexistent-home' })).rejects.toBeInstanceOf(ConfigError)
    // The home directory itself is checked too; the walk stops there.
    await expect(AuthorizedKeys.load(path, { home: sticky })).rejects.toBeInstanceOf(ConfigError)
    const inner = join(sticky, 'home')
    await mkdir(inner, { mode: 0o700 })
    await writeFile(join(inner, 'authorized_keys'), `${k.ed25519}\n`, { mode: 0o600 })
    await expect(AuthorizedKeys.load(join(inner, 'authorized_keys'), { home: inner })).resolves.toBeInstanceOf(AuthorizedKeys)
  })

  it('passes the fs error through for a missing file', async () => {
    await expect(AuthorizedKeys.load(join(dir, 'missing'), { home: home() })).rejects.toMatchObject({ code: 'ENOENT' })
  })
})
