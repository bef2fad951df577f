import { existsSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { checkHostForCommand, checkUserForCommand, ConfigError, expandTokens, openProxyCommand } from '@x/gateway'
import { childPids } from '@x/testbed'
import { afterEach, describe, expect, it } from 'vitest'

describe('expandTokens', () => {
  const values = { h: 'db.internal', p: 5432, r: 'deploy', n: 'db' }
  const ok: Array<[string, string]> = [
    ['nc %h %p', 'nc db.internal 5432'],
    ['ssh -W %h:%p %r@bastion # %n', 'ssh -W db.internal:5432 deploy@bastion # db'],
    ['100%% %%h', '100% %h'],
    ['no tokens', 'no tokens'],
    ['', ''],
  ]
  it.each(ok)('expands %j', (template, expected) => {
    expect(expandTokens(template, values)).toBe(expected)
  })

  it('expands in one pass: a % inside a value stays as it is', () => {
    expect(expandTokens('%h', { h: 'fe80::1%p' })).toBe('fe80::1%p')
  })

  it.each(['%x', '%C', '%d', 'abc %', '%h %u'])('raises ConfigError for the unknown or malformed token in %j', (template) => {
    expect(() => expandTokens(template, values)).toThrow(ConfigError)
  })

  it('raises ConfigError for a token without a value', () => {
    expect(() => expandTokens('ssh %r@x', { h: 'a' })).toThrow(ConfigError)
  })
})

describe('names that reach a shell (CVE-2023-51385)', () => {
  const badHosts = [
    'a;touch /tmp/x', '-oProxyCommand=x', 'a b', 'a\tb', 'a\nb', 'a\u0000', 'a\u007f', '$(id)', '`id`', "a'b", 'a"b', 'a|b',
    'a&b', 'a>b', 'a<b', '(a)', '{a}', '[a]', 'a*', 'a?', 'a!', '~a', 'a#', 'a\\b', '',
  ]
  it.each(badHosts)('refuses the host %j with ConfigError', (host) => {
    expect(() => checkHostForCommand(host)).toThrow(ConfigError)
  })

  it.each(['host', 'h-1.example.com', '10.0.0.1', '::1', 'fe80::1%eth0', 'xn--bcher-kva.example', 'bücher.example', 'a_b'])(
    'accepts the host %j', (host) => {
      expect(() => checkHostForCommand(host)).not.toThrow()
    },
  )

  it.each(['a;b', '-oProxyCommand=x', 'a b', 'a$b', 'a\\', 'a\u0001'])('refuses the user %j with ConfigError', (user) => {
    expect(() => checkUserForCommand(user)).toThrow(ConfigError)
  })

  it.each(['deploy', 'first.last', 'u-1', 'user@realm', ''])('accepts the user %j', (user) => {
    expect(() => checkUserForCommand(user)).not.toThrow()
  })

  it('raises TypeError for names that are not strings', () => {
    expect(() => checkHostForCommand(1 as never)).toThrow(TypeError)
    expect(() => checkUserForCommand(null as never)).toThrow(TypeError)
  })
})

describe('openProxyCommand with untrusted names', () => {
  const marker = join(tmpdir(), `gateway-cve-marker-${process.pid}`)
  afterEach(async () => {
    await rm(marker, { force: true })
  })

  const attacks: Array<[string, { host: string; user?: string; alias?: string }]> = [
    ['host', { host: `a;touch ${marker}` }],
    ['host', { host: '-oProxyCommand=x' }],
    ['user', { host: 'a', user: `x;touch ${marker}` }],
    ['user', { host: 'a', user: '-oProxyCommand=x' }],
    ['alias', { host: 'a', alias: `$(touch ${marker})` }],
  ]
  it.each(attacks)('refuses an unsafe %s before any shell runs', async (_what, names) => {
    const before = childPids()
    await expect(openProxyCommand('echo %h %r %n', { port: 22, user: 'u', ...names, untrusted: true })).rejects.toBeInstanceOf(ConfigError)
    expect(childPids()).toEqual(before)
    expect(existsSync(marker)).toBe(false)
  })

  it('shows why: without the check such a host name reaches the shell', async () => {
    // `exec` would drop what follows a `;`, but a command substitution runs before it.
    const sock = await openProxyCommand('echo %h', { host: `a$(touch ${marker})`, port: 22 })
    sock.resume()
    await new Promise((resolve) => sock.once('close', resolve))
    await sock.reaped
    expect(existsSync(marker)).toBe(true)
  })

  it('refuses an unknown token before any shell runs', async () => {
    const before = childPids()
    await expect(openProxyCommand(`touch ${marker} %Z`, { host: 'a', port: 22 })).rejects.toBeInstanceOf(ConfigError)
    expect(childPids()).toEqual(before)
    expect(existsSync(marker)).toBe(false)
  })
})
