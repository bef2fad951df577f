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

  it('narrows to the class for every code in a switch, leaving nothing for default', () => {
    switch (err.code) {
      case 'ERR_SSH':
        expectTypeOf(err).toExtend<SSHError>()
        expectTypeOf(err.name).toEqualTypeOf<'SSHError'>()
        break
      case 'ERR_SSH_CONNECT':
        expectTypeOf(err).toEqualTypeOf<ConnectError>()
        expectTypeOf(err.host).toEqualTypeOf<string>()
        break
      case 'ERR_SSH_TIMEOUT':
        expectTypeOf(err).toEqualTypeOf<TimeoutError>()
        expectTypeOf(err.phase).toEqualTypeOf<TimeoutPhase>()
        break
      case 'ERR_SSH_HANDSHAKE':
        expectTypeOf(err).toEqualTypeOf<HandshakeError>()
        break
      case 'ERR_SSH_HOST_KEY':
        expectTypeOf(err).toEqualTypeOf<HostKeyError>()
        expectTypeOf(err.expected).toEqualTypeOf<readonly string[]>()
        break
      case 'ERR_SSH_AUTH':
        expectTypeOf(err).toExtend<AuthenticationError>()
        expectTypeOf(err).not.toExtend<BadAuthenticationTypeError>()
        break
      case 'ERR_SSH_AUTH_BAD_TYPE':
        expectTypeOf(err).toEqualTypeOf<BadAuthenticationTypeError>()
        break
      case 'ERR_SSH_KEY':
        expectTypeOf(err).toEqualTypeOf<KeyError>()
        expectTypeOf(err.reason).toEqualTypeOf<KeyErrorReason>()
        break
      case 'ERR_SSH_CHANNEL_OPEN':
        expectTypeOf(err).toEqualTypeOf<ChannelOpenError>()
        expectTypeOf(err.description).toEqualTypeOf<string>()
        break
      case 'ERR_SSH_CONNECTION_LOST':
        expectTypeOf(err).toEqualTypeOf<ConnectionLostError>()
        break
      case 'ERR_SSH_FORWARD':
        expectTypeOf(err).toEqualTypeOf<ForwardError>()
        break
      case 'ERR_SSH_SFTP':
        expectTypeOf(err).toEqualTypeOf<SFTPError>()
        expectTypeOf(err.path).toEqualTypeOf<string | undefined>()
        break
      case 'ERR_SSH_CONFIG':
        expectTypeOf(err).toEqualTypeOf<ConfigError>()
        expectTypeOf(err.file).toEqualTypeOf<string | undefined>()
        break
      default:
        expectTypeOf(err).toBeNever()
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
