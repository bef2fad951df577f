// Type-level contract of the public API; `tsc -p tsconfig.json` (part of `pnpm test:all`)
// fails when one of these stops holding, and vitest runs the runtime half.
import {
  AuthenticationError,
  BadAuthenticationTypeError,
  HostKeyError,
  SSHError,
  TimeoutError,
  Transport,
  type SessionChannel,
  type NegotiatedAlgorithms,
  type PublicKey,
  type SSHErrorCode,
} from '@x/transport'
import { describe, expect, expectTypeOf, it } from 'vitest'

describe('public types', () => {
  it('error classes carry literal codes that narrow in a switch', () => {
    expectTypeOf(new TimeoutError('x', { phase: 'auth', timeoutMs: 1 }).code).toEqualTypeOf<'ERR_SSH_TIMEOUT'>()
    expectTypeOf(new HostKeyError('x', { reason: 'unknown', host: 'h', port: 22, fingerprint: '' }).code).toEqualTypeOf<'ERR_SSH_HOST_KEY'>()
    expectTypeOf<BadAuthenticationTypeError['code']>().toEqualTypeOf<'ERR_SSH_AUTH_BAD_TYPE'>()
    expectTypeOf<SSHErrorCode>().toExtend<string>()
    const err: SSHError = new TimeoutError('x', { phase: 'keepalive', timeoutMs: 5 })
    expect(err).toBeInstanceOf(SSHError)
    expect(new BadAuthenticationTypeError('x', { username: 'u', triedMethods: [], allowedTypes: ['password'] })).toBeInstanceOf(AuthenticationError)
  })

  it('Transport methods return what paramiko returns', () => {
    expectTypeOf<Transport['authNone']>().returns.toEqualTypeOf<Promise<string[]>>()
    expectTypeOf<Transport['authPassword']>().returns.toEqualTypeOf<Promise<string[]>>()
    expectTypeOf<Transport['openSession']>().returns.toEqualTypeOf<Promise<SessionChannel>>()
    expectTypeOf<Transport['remoteServerKey']>().toEqualTypeOf<PublicKey | undefined>()
    expectTypeOf<Transport['negotiated']>().toEqualTypeOf<NegotiatedAlgorithms | undefined>()
    expect(typeof Transport.prototype.startClient).toBe('function')
  })

  it('events are typed and there is no error event', () => {
    const t = new Transport('127.0.0.1:1')
    t.on('close', (error) => expectTypeOf(error).toEqualTypeOf<SSHError | undefined>())
    t.on('banner', (message) => expectTypeOf(message).toEqualTypeOf<string>())
    // @ts-expect-error: a Transport never emits 'error'
    t.on('error', () => {})
    t.destroy()
    expect(t.isActive).toBe(false)
  })
})
