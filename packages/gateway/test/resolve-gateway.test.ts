import { ConfigError, GatewayConflictError, resolveGateway, type GatewayInputs } from '@x/gateway'
import { describe, expect, it } from 'vitest'

const PC = { proxyCommand: 'nc %h %p' }

function conflictOf(inputs: GatewayInputs): GatewayConflictError {
  try {
    resolveGateway('target', inputs)
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayConflictError)
    return err as GatewayConflictError
  }
  throw new Error('expected GatewayConflictError')
}

describe('resolveGateway conflicts (DESIGN.md §3)', () => {
  const cases: Array<[string, GatewayInputs, [string, string]]> = [
    ['explicit proxyJump + explicit ProxyCommand', { explicit: { gateway: PC, proxyJump: 'b' }, sshConfig: {} }, ['option gateway (ProxyCommand)', 'option proxyJump']],
    ['a Connection gateway + ssh_config ProxyCommand', { explicit: { gateway: 'connection' }, sshConfig: { proxycommand: 'nc %h %p' } }, ['option gateway (Connection)', 'ssh_config ProxyCommand']],
    ['explicit proxyJump + ssh_config ProxyCommand', { explicit: { proxyJump: 'b' }, sshConfig: { proxycommand: 'nc %h %p' } }, ['option proxyJump', 'ssh_config ProxyCommand']],
    ['explicit ProxyCommand + ssh_config ProxyJump', { explicit: { gateway: PC }, sshConfig: { proxyjump: 'b' } }, ['option gateway (ProxyCommand)', 'ssh_config ProxyJump']],
    ['explicit ProxyCommand + explicit proxyJump + ssh_config ProxyJump', { explicit: { gateway: PC, proxyJump: 'b' }, sshConfig: { proxyjump: 'c' } }, ['option gateway (ProxyCommand)', 'option proxyJump']],
  ]
  it.each(cases)('raises GatewayConflictError for %s, naming the host and both sources', (_name, inputs, sources) => {
    const err = conflictOf(inputs)
    expect(err.code).toBe('ERR_SSH_GATEWAY_CONFLICT')
    expect(err.host).toBe('target')
    expect(err.sources).toEqual(sources)
  })

  it('raises GatewayConflictError whichever way the jump and the ProxyCommand are split between options and ssh_config', () => {
    expect(conflictOf({ explicit: { proxyJump: 'j' }, sshConfig: { proxycommand: 'x' } }).sources).toEqual(['option proxyJump', 'ssh_config ProxyCommand'])
    expect(conflictOf({ explicit: { gateway: { proxyCommand: 'x' } }, sshConfig: { proxyjump: 'j' } }).sources).toEqual(['option gateway (ProxyCommand)', 'ssh_config ProxyJump'])
  })
})

describe('resolveGateway plans', () => {
  it('goes direct without any gateway', () => {
    expect(resolveGateway('h', { explicit: {}, sshConfig: {} })).toEqual({ kind: 'direct' })
  })

  it('treats ssh_config none (any case) and empty values as unset', () => {
    expect(resolveGateway('h', { explicit: {}, sshConfig: { proxyjump: 'none' } })).toEqual({ kind: 'direct' })
    expect(resolveGateway('h', { explicit: {}, sshConfig: { proxycommand: 'None' } })).toEqual({ kind: 'direct' })
    expect(resolveGateway('h', { explicit: { gateway: 'connection' }, sshConfig: { proxycommand: 'none' } }))
      .toEqual({ kind: 'jump', source: 'option gateway (Connection)', viaConnection: true })
    expect(resolveGateway('h', { explicit: { gateway: PC }, sshConfig: { proxyjump: 'NONE', proxycommand: '' } }))
      .toEqual({ kind: 'proxy-command', source: 'option gateway (ProxyCommand)', command: 'nc %h %p' })
  })

  it('uses a gateway Connection', () => {
    expect(resolveGateway('h', { explicit: { gateway: 'connection' }, sshConfig: {} }))
      .toEqual({ kind: 'jump', source: 'option gateway (Connection)', viaConnection: true })
  })

  it('lets an explicit jump override ssh_config ProxyJump', () => {
    expect(resolveGateway('h', { explicit: { proxyJump: 'u@a:2,b' }, sshConfig: { proxyjump: 'c' } }))
      .toEqual({ kind: 'jump', source: 'option proxyJump', hops: [{ user: 'u', host: 'a', port: 2 }, { host: 'b' }] })
    expect(resolveGateway('h', { explicit: { gateway: 'connection' }, sshConfig: { proxyjump: 'c' } }))
      .toEqual({ kind: 'jump', source: 'option gateway (Connection)', viaConnection: true })
  })

  it('lets an explicit ProxyCommand override ssh_config ProxyCommand', () => {
    expect(resolveGateway('h', { explicit: { gateway: PC }, sshConfig: { proxycommand: 'other' } }))
      .toEqual({ kind: 'proxy-command', source: 'option gateway (ProxyCommand)', command: 'nc %h %p' })
  })

  it('takes ProxyJump or ProxyCommand from ssh_config alone', () => {
    expect(resolveGateway('h', { explicit: {}, sshConfig: { proxyjump: '[::1]:2222' } }))
      .toEqual({ kind: 'jump', source: 'ssh_config ProxyJump', hops: [{ host: '::1', port: 2222 }] })
    expect(resolveGateway('h', { explicit: {}, sshConfig: { proxycommand: 'socat - TCP:%h:%p' } }))
      .toEqual({ kind: 'proxy-command', source: 'ssh_config ProxyCommand', command: 'socat - TCP:%h:%p' })
  })

  it('treats proxyJump none as ssh -J none: no gateway from ssh_config at all', () => {
    expect(resolveGateway('h', { explicit: { proxyJump: 'none' }, sshConfig: { proxyjump: 'b' } })).toEqual({ kind: 'direct' })
    expect(resolveGateway('h', { explicit: { proxyJump: 'none' }, sshConfig: { proxycommand: 'x' } })).toEqual({ kind: 'direct' })
    expect(resolveGateway('h', { explicit: { proxyJump: 'none', gateway: PC }, sshConfig: {} }))
      .toEqual({ kind: 'proxy-command', source: 'option gateway (ProxyCommand)', command: 'nc %h %p' })
  })

  it('raises ConfigError for a malformed ProxyJump, from options or ssh_config', () => {
    expect(() => resolveGateway('h', { explicit: { proxyJump: 'a,,b' }, sshConfig: {} })).toThrow(ConfigError)
    expect(() => resolveGateway('h', { explicit: {}, sshConfig: { proxyjump: 'a:0' } })).toThrow(ConfigError)
  })

  it('raises ConfigError when the resolved ssh_config has both ProxyJump and ProxyCommand', () => {
    expect(() => resolveGateway('h', { explicit: {}, sshConfig: { proxyjump: 'a', proxycommand: 'b' } })).toThrow(ConfigError)
  })

  it('raises TypeError for a gateway Connection together with proxyJump, and for bad types', () => {
    expect(() => resolveGateway('h', { explicit: { gateway: 'connection', proxyJump: 'a' }, sshConfig: {} })).toThrow(TypeError)
    expect(() => resolveGateway('h', { explicit: { gateway: 'x' as never }, sshConfig: {} })).toThrow(TypeError)
    expect(() => resolveGateway('h', { explicit: { proxyJump: 1 as never }, sshConfig: {} })).toThrow(TypeError)
  })
})
