/**
 * resolveHostSettings: explicit options > ssh_config > defaults, in one frozen object read by
 * typed names; and the RekeyLimit, SetEnv and SendEnv forms OpenSSH accepts. Offline.
 */
import { describe, expect, it } from 'vitest'
import { resolveConnectionOptions, type ConnectionOptions } from '../src/connection-options.js'
import { resolveHostConfig, resolveHostSettings, type HostSettings } from '../src/host-settings.js'
import { parseHostSpec } from '../src/host-spec.js'
import { sessionEnvironment } from '../src/session-env.js'

function settings(host: string, text: string, options: ConnectionOptions = {}): HostSettings {
  const resolved = resolveConnectionOptions({ config: { text }, ...options })
  const spec = parseHostSpec(host)
  return resolveHostSettings(spec, resolved, resolveHostConfig(spec, resolved).sshConfig)
}

describe('resolveHostSettings', () => {
  const config = [
    'Host web',
    '  HostName 10.0.0.5',
    '  User deploy',
    '  Port 2200',
    '  ConnectTimeout 7',
    '  ServerAliveInterval 4',
    '  ServerAliveCountMax 2',
    '  StrictHostKeyChecking accept-new',
    '  HostKeyAlias webkey',
    '  Compression yes',
    '  ProxyJump bastion',
    '',
  ].join('\n')

  it('takes ssh_config over the defaults', () => {
    const s = settings('web', config)
    expect(s).toMatchObject({
      host: 'web', user: 'deploy', port: 2200, hostname: '10.0.0.5', connectTimeoutMs: 7000,
      keepalive: { intervalMs: 4000, countMax: 2 }, compression: true,
      hostKeys: { policy: 'accept-new', policyFromConfig: true, name: 'webkey' },
      gateway: { proxyJump: 'bastion' },
      rekeyLimit: { bytes: undefined, intervalMs: undefined },
    })
    expect(Object.isFrozen(s) && Object.isFrozen(s.hostKeys) && Object.isFrozen(s.env.sendEnv)).toBe(true)
  })

  it('takes explicit options over ssh_config', () => {
    const s = settings('web', config, { user: 'ops', port: 22, connectTimeoutMs: 1500, keepalive: false, hostKeys: { policy: 'strict', hash: true } })
    expect(s).toMatchObject({ user: 'ops', port: 22, connectTimeoutMs: 1500, keepalive: undefined, hostKeys: { policy: 'strict', policyFromConfig: false, hash: true } })
  })

  it('falls back to the defaults: 20 s connect, 15 s × 3 keepalive, strict host keys', () => {
    const s = settings('plain', '')
    expect(s).toMatchObject({ hostname: 'plain', port: 22, connectTimeoutMs: 20_000, keepalive: { intervalMs: 15_000, countMax: 3 }, compression: false, forwardAgent: false })
    expect(s.hostKeys.policy).toBe('strict')
    expect(s.auth).toMatchObject({ agent: 'SSH_AUTH_SOCK', identitiesOnly: false, lookForKeys: true, identityOrigin: 'default' })
  })

  it.each([
    ['RekeyLimit 1M', { bytes: 1024 * 1024, intervalMs: undefined }],
    ['RekeyLimit 512K 30s', { bytes: 512 * 1024, intervalMs: 30_000 }],
    ['RekeyLimit 2G 1h', { bytes: 2 * 1024 ** 3, intervalMs: 3_600_000 }],
    ['RekeyLimit default none', { bytes: undefined, intervalMs: undefined }],
    ['RekeyLimit default 10m', { bytes: undefined, intervalMs: 600_000 }],
  ])('reads %s', (line, expected) => {
    expect(settings('h', `${line}\n`).rekeyLimit).toEqual(expected)
  })

  it('keeps the first SetEnv line whole and the first value of a repeated name', () => {
    const s = settings('h', 'Host h\n  SetEnv A=1 "B=two words" A=3\nHost *\n  SetEnv C=never\n')
    expect(s.env.setEnv).toEqual({ A: '1', B: 'two words' })
  })

  it('applies SendEnv -pattern removals (OpenSSH 8.8+)', () => {
    expect(settings('h', 'SendEnv LANG LC_* XSSH_*\nSendEnv -LC_*\n').env.sendEnv).toEqual(['LANG', 'XSSH_*'])
  })
})

describe('sessionEnvironment', () => {
  it('sends SendEnv matches, then SetEnv, then the env option, a later one winning', () => {
    const env = sessionEnvironment(
      { sendEnv: ['LC_*', 'X?'], setEnv: { LC_ALL: 'C', SET: 'yes' } },
      { SET: 'explicit' },
      { LC_ALL: 'en_US', LC_TIME: 'de_DE', XY: '1', XYZ: 'no', lc_lower: 'no' },
    )
    expect(env).toEqual({ LC_ALL: 'C', LC_TIME: 'de_DE', XY: '1', SET: 'explicit' })
  })
})
