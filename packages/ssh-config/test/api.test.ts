/** The resolver's API: config sources, explicit options, argument checks, refusals by design. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ConfigError } from '@x/transport'
import { expandSshConfigPaths, resolveSshConfig } from '../src/index.js'
import { configErrorOf } from './config-error-of.js'

let home: string
let system: string

beforeEach(() => {
  home = mkdtempSync(join(os.tmpdir(), 'x-ssh-config-api-'))
  mkdirSync(join(home, '.ssh'))
  system = join(home, 'system_config')
  writeFileSync(join(home, '.ssh/config'), 'Host web\n  User fromuserfile\n')
  writeFileSync(system, 'Host *\n  User fromsystem\n  Port 2022\n')
})
afterEach(() => {
  rmSync(home, { recursive: true, force: true })
})

const base = (): { homeDir: string; systemConfigPath: string; localUser: string } => ({ homeDir: home, systemConfigPath: system, localUser: 'me' })

describe('resolveSshConfig sources', () => {
  it('reads ~/.ssh/config then the system file when no source is given', () => {
    const c = resolveSshConfig('web', base())
    expect([c.user, c.port]).toEqual(['fromuserfile', '2022'])
  })

  it('reads no file at all for config: false and for the string none', () => {
    for (const config of [false, 'none'] as const) {
      const c = resolveSshConfig('web', { ...base(), config })
      expect([c.user, c.port, c.hostname]).toEqual(['me', '22', 'web'])
    }
  })

  it('reads a list of files in order, the first value obtained winning', () => {
    const a = join(home, 'a.conf')
    const b = join(home, 'b.conf')
    writeFileSync(a, 'Port 1111\n')
    writeFileSync(b, 'Port 2222\nUser fromb\n')
    const c = resolveSshConfig('web', { ...base(), config: [a, b] })
    expect([c.port, c.user]).toEqual(['1111', 'fromb'])
  })

  it('raises ConfigError for a config file that does not exist', () => {
    const missing = join(home, 'missing.conf')
    expect(configErrorOf(() => resolveSshConfig('web', { ...base(), config: missing })).file).toBe(missing)
  })

  it('reads text as a user config: relative Includes from ~/.ssh, errors naming the given path', () => {
    writeFileSync(join(home, '.ssh/inc.conf'), 'User included\n')
    const c = resolveSshConfig('web', { ...base(), config: { text: 'Include inc.conf\n', path: '/virtual/config' } })
    expect(c.user).toBe('included')
    const error = configErrorOf(() => resolveSshConfig('web', { ...base(), config: { text: 'User a\nPort x\n', path: '/virtual/config' } }))
    expect([error.file, error.line]).toEqual(['/virtual/config', 2])
    expect(configErrorOf(() => resolveSshConfig('web', { ...base(), config: { text: 'Bogus 1\n' } })).line).toBe(1)
  })

  it('returns a frozen record with string[] for multi-valued keys', () => {
    const c = resolveSshConfig('web', { ...base(), config: { text: 'IdentityFile ~/a\nLocalForward 1 h:2\nSendEnv A B\n' } })
    expect(Object.isFrozen(c)).toBe(true)
    expect(c.identityfile).toEqual(['~/a'])
    expect(c.localforward).toEqual(['1 [h]:2'])
    expect(c.sendenv).toEqual(['A', 'B'])
    expect(c.userknownhostsfile).toEqual([`${home}/.ssh/known_hosts`, `${home}/.ssh/known_hosts2`])
    expect(c.proxycommand).toBeUndefined()
  })
})

describe('resolveSshConfig explicit options and arguments', () => {
  it('lets an explicit user and port beat the config', () => {
    const c = resolveSshConfig('web', { ...base(), user: 'explicit', port: 2200 })
    expect([c.user, c.port]).toEqual(['explicit', '2200'])
  })

  it('throws RangeError for a port outside 1…65535', () => {
    for (const port of [0, 65536, 1.5, Number.NaN]) expect(() => resolveSshConfig('web', { ...base(), port })).toThrow(RangeError)
  })

  it('raises ConfigError for a host or user with shell metacharacters or a leading dash', () => {
    for (const host of ['-oProxyCommand=x', 'a;b', 'a b', 'a,b', '$(x)']) configErrorOf(() => resolveSshConfig(host, base()))
    for (const user of ['-l', 'a;b', 'a`b`']) configErrorOf(() => resolveSshConfig('web', { ...base(), user }))
  })

  it('throws TypeError for an empty host', () => {
    expect(() => resolveSshConfig('', base())).toThrow(TypeError)
  })
})

describe('resolveSshConfig never does network I/O', () => {
  it('raises ConfigError where ssh would look a canonical name up in DNS', () => {
    configErrorOf(() => resolveSshConfig('web', { ...base(), config: { text: 'CanonicalizeHostname yes\nCanonicalDomains example.com\n' } }))
  })

  it('resolves canonicalisation that needs no DNS: behind a ProxyCommand, or without domains', () => {
    const proxied = resolveSshConfig('web', { ...base(), config: { text: 'CanonicalizeHostname yes\nCanonicalDomains example.com\nProxyCommand nc %h %p\n' } })
    expect(proxied.hostname).toBe('web')
    const plain = resolveSshConfig('web', { ...base(), config: { text: 'CanonicalizeHostname yes\nMatch canonical\n  User canon\n' } })
    expect(plain.user).toBe('canon')
  })
})

describe('expandSshConfigPaths', () => {
  it('expands IdentityFile and CertificateFile as ssh does when loading them, dropping IdentityFile none', () => {
    const options = { ...base(), localHostname: 'here.example', config: { text: 'Host web\n  HostName web.example\n  Port 2200\n  IdentityFile none\n  IdentityFile ~/.ssh/%h_%r_%p\n  IdentityFile /k/%n-%u-%L-%l-%d-%%\n  CertificateFile ~/c/${X_SSH_CONFIG_TEST}\n' } }
    const config = resolveSshConfig('web', { ...options, user: 'bob' })
    expect(config.identityfile).toEqual(['none', '~/.ssh/%h_%r_%p', '/k/%n-%u-%L-%l-%d-%%'])
    expect(expandSshConfigPaths(config, 'identityfile', options)).toEqual([
      `${home}/.ssh/web.example_bob_2200`, `/k/web-me-here-here.example-${home}-%`,
    ])
    process.env['X_SSH_CONFIG_TEST'] = 'cert.pub'
    try {
      expect(expandSshConfigPaths(config, 'certificatefile', options)).toEqual([`${home}/c/cert.pub`])
    } finally {
      delete process.env['X_SSH_CONFIG_TEST']
    }
    configErrorOf(() => expandSshConfigPaths(config, 'certificatefile', options))
  })
})
