// The brand behind `instanceof` (release/pack.test.ts proves it across two installed copies) and
// isTransportError, checked in one copy.
import { inspect } from 'node:util'
import {
  AuthenticationError,
  BadAuthenticationTypeError,
  ChannelOpenError,
  ConfigError,
  ConnectError,
  ConnectionLostError,
  ForwardError,
  HandshakeError,
  HostKeyError,
  isTransportError,
  KeyError,
  SFTPError,
  SSHError,
  TimeoutError,
} from '@x/transport'
import { describe, expect, it } from 'vitest'

/** One instance of every class @x/transport defines. */
const samples = {
  SSHError: new SSHError('base'),
  ConnectError: new ConnectError('refused', { host: 'h', port: 22 }),
  TimeoutError: new TimeoutError('slow', { phase: 'auth', timeoutMs: 1 }),
  HandshakeError: new HandshakeError('kex'),
  HostKeyError: new HostKeyError('unknown', { reason: 'unknown', host: 'h', port: 22, fingerprint: 'SHA256:x' }),
  AuthenticationError: new AuthenticationError('denied', { username: 'u', triedMethods: [], allowedTypes: [] }),
  BadAuthenticationTypeError: new BadAuthenticationTypeError('no', { username: 'u', triedMethods: [], allowedTypes: ['publickey'] }),
  KeyError: new KeyError('bad', { reason: 'invalid' }),
  ChannelOpenError: new ChannelOpenError('refused', { reason: 1, description: 'prohibited' }),
  ConnectionLostError: new ConnectionLostError('gone'),
  ForwardError: new ForwardError('bind'),
  SFTPError: new SFTPError('no such file', { path: '/x', status: 2 }),
  ConfigError: new ConfigError('bad line', { file: 'f', line: 1 }),
}
const classes = { SSHError, ConnectError, TimeoutError, HandshakeError, HostKeyError, AuthenticationError, BadAuthenticationTypeError, KeyError, ChannelOpenError, ConnectionLostError, ForwardError, SFTPError, ConfigError }
type Name = keyof typeof classes

describe('branded error classes', () => {
  it('make each error an instance of its own class, its ancestors and SSHError, and of no sibling', () => {
    const ancestors: Partial<Record<Name, Name[]>> = { BadAuthenticationTypeError: ['AuthenticationError'] }
    for (const [name, err] of Object.entries(samples) as Array<[Name, SSHError]>) {
      for (const [other, cls] of Object.entries(classes) as Array<[Name, typeof SSHError]>) {
        const expected = other === name || other === 'SSHError' || (ancestors[name] ?? []).includes(other)
        expect(err instanceof cls, `${name} instanceof ${other}`).toBe(expected)
      }
    }
  })

  it('refuse what is not one: plain errors, look-alikes, primitives', () => {
    const lookAlike = Object.assign(new Error('x'), { name: 'TimeoutError', code: 'ERR_SSH_TIMEOUT' })
    for (const value of [new Error('x'), lookAlike, { code: 'ERR_SSH' }, null, undefined, 'ERR_SSH', 0]) {
      expect(value instanceof SSHError).toBe(false)
      expect(value instanceof TimeoutError).toBe(false)
    }
  })

  it("keep a program's own subclasses on the prototype check", () => {
    class RetryableTimeout extends TimeoutError {}
    const mine = new RetryableTimeout('slow', { phase: 'channel', timeoutMs: 2 })
    expect(mine instanceof RetryableTimeout).toBe(true)
    expect(mine instanceof TimeoutError).toBe(true)
    expect(mine instanceof SSHError).toBe(true)
    expect(samples.TimeoutError instanceof RetryableTimeout).toBe(false)
  })

  it('leave no trace in inspect, JSON or the own keys of an error', () => {
    const err = samples.TimeoutError
    expect(Object.getOwnPropertySymbols(err)).toEqual([])
    expect(Object.keys(err)).toEqual(['name', 'code', 'phase', 'timeoutMs', 'stop'])
    expect(JSON.stringify(err)).toBe('{"name":"TimeoutError","code":"ERR_SSH_TIMEOUT","phase":"auth","timeoutMs":1}')
    expect(inspect(err)).not.toMatch(/Symbol/)
  })
})

describe('isTransportError', () => {
  it('accepts every error @x/transport defines', () => {
    for (const [name, err] of Object.entries(samples)) expect(isTransportError(err), name).toBe(true)
  })

  it('refuses plain errors and SSHError subclasses of other packages or programs', () => {
    class GatewayLike extends SSHError {
      override readonly name = 'GatewayLike'
      override readonly code = 'ERR_SSH_GATEWAY_LIKE'
    }
    class Renamed extends SSHError {
      override readonly name = 'Renamed'
    }
    for (const value of [new Error('x'), new GatewayLike('g'), new Renamed('r'), { code: 'ERR_SSH' }, undefined]) {
      expect(isTransportError(value)).toBe(false)
    }
  })
})
