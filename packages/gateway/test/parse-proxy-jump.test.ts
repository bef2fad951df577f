import { ConfigError, parseProxyJump, type JumpHop } from '@x/gateway'
import { describe, expect, it } from 'vitest'

describe('parseProxyJump', () => {
  const ok: Array<[string, JumpHop[]]> = [
    ['a', [{ host: 'a' }]],
    ['u@a:2222,b', [{ user: 'u', host: 'a', port: 2222 }, { host: 'b' }]],
    ['  a , u@b:22 ,c  ', [{ host: 'a' }, { user: 'u', host: 'b', port: 22 }, { host: 'c' }]],
    ['[::1]:2200', [{ host: '::1', port: 2200 }]],
    ['[fd00::5]', [{ host: 'fd00::5' }]],
    ['root@[fe80::1%eth0]:22', [{ user: 'root', host: 'fe80::1%eth0', port: 22 }]],
    ['[127.0.0.1]:2222', [{ host: '127.0.0.1', port: 2222 }]],
    ['a@b@host', [{ user: 'a@b', host: 'host' }]],
    ['ssh://host', [{ host: 'host' }]],
    ['ssh://deploy@host:2022', [{ user: 'deploy', host: 'host', port: 2022 }]],
    ['ssh://de%40ploy;fingerprint=SHA256-x@host:2022/', [{ user: 'de@ploy', host: 'host', port: 2022 }]],
    ['ssh://[::1]:22,b', [{ host: '::1', port: 22 }, { host: 'b' }]],
    ['a:65535', [{ host: 'a', port: 65535 }]],
    ['none', []],
    [' NONE ', []],
  ]
  it.each(ok)('parses %j', (spec, hops) => {
    expect(parseProxyJump(spec)).toEqual(hops)
  })

  it('keeps OpenSSH order: the first hop is dialled directly, the last is the gateway of the target', () => {
    expect(parseProxyJump('first,second,last').map((h) => h.host)).toEqual(['first', 'second', 'last'])
  })

  const bad = [
    '', '   ', 'a,,b', 'a,', ',a', '@a', 'u@', 'a:', 'a:0', 'a:65536', 'a:22x', 'a:-1', 'a: 22', 'fe80::1',
    '[::1', '[::1]x', '[]:22', 'a b', 'u s@a', 'ssh://host/path', 'ssh://@host', 'ssh://h:0', 'ssh://%zz@h', 'a/b', 'a\tb', 'a\u0001',
  ]
  it.each(bad)('rejects %j with ConfigError', (spec) => {
    expect(() => parseProxyJump(spec)).toThrow(ConfigError)
  })

  it('rejects a spec that is not a string with TypeError', () => {
    expect(() => parseProxyJump(42 as unknown as string)).toThrow(TypeError)
  })
})
