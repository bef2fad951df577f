// Type tests (vitest typecheck and `tsc -p tsconfig.json`): `switch (err.code)` on TransportError
// narrows to the class for each code @x/transport raises, and isTransportError narrows unknown.
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
  type KeyErrorReason,
  type SSHErrorCode,
  type TimeoutPhase,
  type TransportError,
} from '@x/transport'
import { describe, expectTypeOf, it } from 'vitest'

declare const err: TransportError
declare const thrown: unknown

describe('TransportError', () => {
  it('lists the codes of @x/transport and only those', () => {
    expectTypeOf<SSHErrorCode>().toEqualTypeOf<
      | 'ERR_SSH'
      | 'ERR_SSH_CONNECT'
      | 'ERR_SSH_TIMEOUT'
      | 'ERR_SSH_HANDSHAKE'
      | 'ERR_SSH_HOST_KEY'
      | 'ERR_SSH_AUTH'
      | 'ERR_SSH_AUTH_BAD_TYPE'
      | 'ERR_SSH_KEY'
      | 'ERR_SSH_CHANNEL_OPEN'
      | 'ERR_SSH_CONNECTION_LOST'
      | 'ERR_SSH_FORWARD'
      | 'ERR_SSH_SFTP'
      | 'ERR_SSH_CONFIG'
    >()
  })

  it('names one class per code: what `case code:` narrows a TransportError to', () => {
    // Extract<Union, { code: C }> is the member set a discriminant check on `code` keeps
    // (@x/connection's errors.test-d.ts runs the switch itself over every code of the library).
    type Narrowed = { readonly [C in SSHErrorCode]: Extract<TransportError, { readonly code: C }> }
    expectTypeOf<Narrowed>().toEqualTypeOf<{
      readonly ERR_SSH: SSHError & { readonly name: 'SSHError'; readonly code: 'ERR_SSH' }
      readonly ERR_SSH_CONNECT: ConnectError
      readonly ERR_SSH_TIMEOUT: TimeoutError
      readonly ERR_SSH_HANDSHAKE: HandshakeError
      readonly ERR_SSH_HOST_KEY: HostKeyError
      readonly ERR_SSH_AUTH: AuthenticationError & { readonly name: 'AuthenticationError'; readonly code: 'ERR_SSH_AUTH' }
      readonly ERR_SSH_AUTH_BAD_TYPE: BadAuthenticationTypeError
      readonly ERR_SSH_KEY: KeyError
      readonly ERR_SSH_CHANNEL_OPEN: ChannelOpenError
      readonly ERR_SSH_CONNECTION_LOST: ConnectionLostError
      readonly ERR_SSH_FORWARD: ForwardError
      readonly ERR_SSH_SFTP: SFTPError
      readonly ERR_SSH_CONFIG: ConfigError
    }>()
    expectTypeOf<Narrowed['ERR_SSH_AUTH']>().not.toExtend<BadAuthenticationTypeError>()
  })

  it('narrows in a switch: a timeout reads phase, a key error its reason, nothing is left for default', () => {
    switch (err.code) {
      case 'ERR_SSH_TIMEOUT':
        expectTypeOf(err.phase).toEqualTypeOf<TimeoutPhase>()
        break
      case 'ERR_SSH_KEY':
        expectTypeOf(err.reason).toEqualTypeOf<KeyErrorReason>()
        break
      default:
        expectTypeOf<Extract<typeof err, TimeoutError | KeyError>>().toBeNever()
    }
  })

  it('keeps the base class open: SSHError.code is a string, so other packages add codes', () => {
    expectTypeOf<SSHError['code']>().toEqualTypeOf<string>()
    expectTypeOf<AuthenticationError['code']>().toEqualTypeOf<'ERR_SSH_AUTH' | 'ERR_SSH_AUTH_BAD_TYPE'>()
  })
})

describe('isTransportError', () => {
  it('narrows unknown to TransportError', () => {
    if (isTransportError(thrown)) expectTypeOf(thrown).toEqualTypeOf<TransportError>()
    else expectTypeOf(thrown).toEqualTypeOf<unknown>()
  })

  it('lets a catch block read the fields of the class a code names', () => {
    if (isTransportError(thrown) && thrown.code === 'ERR_SSH_HOST_KEY') expectTypeOf(thrown.fingerprint).toEqualTypeOf<string>()
  })
})
