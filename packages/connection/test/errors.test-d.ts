// Type tests (vitest typecheck and `tsc -p tsconfig.json`): `switch (err.code)` on the union of
// every error of the library narrows to the class for each code, and isSSHError narrows unknown.
import {
  AuthenticationError,
  BadAuthenticationTypeError,
  ChannelOpenError,
  ConfigError,
  ConnectError,
  ConnectionLostError,
  ForwardError,
  GatewayConflictError,
  HandshakeError,
  HostKeyError,
  isCommandError,
  isGatewayError,
  isSSHError,
  isTransportError,
  KeyError,
  MaxBufferError,
  ProxyCommandError,
  SFTPError,
  SSHError,
  TimeoutError,
  UnexpectedExitError,
  type AnySSHError,
  type CommandError,
  type CommandStop,
  type GatewayError,
  type SSHErrorCode,
  type TimeoutPhase,
  type TransportError,
} from '@x/connection'
import { describe, expectTypeOf, it } from 'vitest'

declare const err: AnySSHError
declare const thrown: unknown

describe('AnySSHError', () => {
  it('lists every code of the library', () => {
    // @x/transport's own codes are listed in its errors.test-d.ts.
    expectTypeOf<SSHErrorCode>().toEqualTypeOf<
      TransportError['code'] | 'ERR_SSH_GATEWAY_CONFLICT' | 'ERR_SSH_PROXY_COMMAND' | 'ERR_SSH_UNEXPECTED_EXIT' | 'ERR_SSH_MAX_BUFFER'
    >()
    expectTypeOf<TransportError['code']>().toExtend<'ERR_SSH' | `ERR_SSH_${string}`>()
    expectTypeOf<AnySSHError>().toEqualTypeOf<TransportError | GatewayError | CommandError>()
  })

  it('narrows to the class for every code in a switch, leaving nothing for default', () => {
    switch (err.code) {
      case 'ERR_SSH':
        expectTypeOf(err).toEqualTypeOf<SSHError & { readonly name: 'SSHError'; readonly code: 'ERR_SSH' }>()
        expectTypeOf(err).not.toExtend<TimeoutError>()
        break
      case 'ERR_SSH_CONNECT':
        expectTypeOf(err).toEqualTypeOf<ConnectError>()
        expectTypeOf(err.port).toEqualTypeOf<number>()
        break
      case 'ERR_SSH_TIMEOUT':
        expectTypeOf(err).toEqualTypeOf<TimeoutError>()
        expectTypeOf(err.phase).toEqualTypeOf<TimeoutPhase>()
        expectTypeOf(err.stop).toEqualTypeOf<CommandStop | undefined>()
        break
      case 'ERR_SSH_HANDSHAKE':
        expectTypeOf(err).toEqualTypeOf<HandshakeError>()
        break
      case 'ERR_SSH_HOST_KEY':
        expectTypeOf(err).toEqualTypeOf<HostKeyError>()
        expectTypeOf(err.reason).toEqualTypeOf<'unknown' | 'mismatch' | 'revoked' | 'rejected'>()
        break
      case 'ERR_SSH_AUTH':
        expectTypeOf(err).toExtend<AuthenticationError>()
        expectTypeOf(err).not.toExtend<BadAuthenticationTypeError>()
        expectTypeOf(err.name).toEqualTypeOf<'AuthenticationError'>()
        expectTypeOf(err.triedMethods).toEqualTypeOf<readonly string[]>()
        break
      case 'ERR_SSH_AUTH_BAD_TYPE':
        expectTypeOf(err).toEqualTypeOf<BadAuthenticationTypeError>()
        expectTypeOf(err.allowedTypes).toEqualTypeOf<readonly string[]>()
        break
      case 'ERR_SSH_KEY':
        expectTypeOf(err).toEqualTypeOf<KeyError>()
        break
      case 'ERR_SSH_CHANNEL_OPEN':
        expectTypeOf(err).toEqualTypeOf<ChannelOpenError>()
        expectTypeOf(err.reason).toEqualTypeOf<number>()
        break
      case 'ERR_SSH_CONNECTION_LOST':
        expectTypeOf(err).toEqualTypeOf<ConnectionLostError>()
        break
      case 'ERR_SSH_FORWARD':
        expectTypeOf(err).toEqualTypeOf<ForwardError>()
        break
      case 'ERR_SSH_SFTP':
        expectTypeOf(err).toEqualTypeOf<SFTPError>()
        expectTypeOf(err.status).toEqualTypeOf<number | undefined>()
        break
      case 'ERR_SSH_CONFIG':
        expectTypeOf(err).toEqualTypeOf<ConfigError>()
        expectTypeOf(err.line).toEqualTypeOf<number | undefined>()
        break
      case 'ERR_SSH_GATEWAY_CONFLICT':
        expectTypeOf(err).toEqualTypeOf<GatewayConflictError>()
        expectTypeOf(err.sources).toEqualTypeOf<readonly [string, string]>()
        break
      case 'ERR_SSH_PROXY_COMMAND':
        expectTypeOf(err).toEqualTypeOf<ProxyCommandError>()
        expectTypeOf(err.stderrTail).toEqualTypeOf<string>()
        break
      case 'ERR_SSH_UNEXPECTED_EXIT':
        expectTypeOf(err).toEqualTypeOf<UnexpectedExitError<string | Buffer>>()
        expectTypeOf(err.result.exitCode).toEqualTypeOf<number | null>()
        break
      case 'ERR_SSH_MAX_BUFFER':
        expectTypeOf(err).toEqualTypeOf<MaxBufferError>()
        expectTypeOf(err.stream).toEqualTypeOf<'stdout' | 'stderr'>()
        break
      default:
        expectTypeOf(err).toBeNever()
    }
  })

  it('narrows by name as well as by code', () => {
    if (err.name === 'TimeoutError') expectTypeOf(err).toEqualTypeOf<TimeoutError>()
    if (err.name === 'BadAuthenticationTypeError') expectTypeOf(err).toEqualTypeOf<BadAuthenticationTypeError>()
    if (err.name === 'SSHError') expectTypeOf(err.code).toEqualTypeOf<'ERR_SSH'>()
  })
})

describe('the guards', () => {
  it('isSSHError narrows unknown to AnySSHError', () => {
    if (isSSHError(thrown)) expectTypeOf(thrown).toEqualTypeOf<AnySSHError>()
    else expectTypeOf(thrown).toEqualTypeOf<unknown>()
  })

  it("each package's guard narrows unknown to that package's union", () => {
    if (isTransportError(thrown)) expectTypeOf(thrown).toEqualTypeOf<TransportError>()
    if (isGatewayError(thrown)) expectTypeOf(thrown).toEqualTypeOf<GatewayError>()
    if (isCommandError(thrown)) expectTypeOf(thrown).toEqualTypeOf<CommandError>()
    expectTypeOf(isSSHError).parameter(0).toEqualTypeOf<unknown>()
  })

  it('instanceof narrows unknown to the class, as before branding', () => {
    if (thrown instanceof TimeoutError) expectTypeOf(thrown).toEqualTypeOf<TimeoutError>()
    if (thrown instanceof SSHError) expectTypeOf(thrown).toEqualTypeOf<SSHError>()
    if (thrown instanceof UnexpectedExitError) expectTypeOf(thrown.code).toEqualTypeOf<'ERR_SSH_UNEXPECTED_EXIT'>()
  })

  it('a switch on a guarded value reads the fields of each class', () => {
    if (!isSSHError(thrown)) return
    switch (thrown.code) {
      case 'ERR_SSH_TIMEOUT':
        expectTypeOf(thrown.phase).toEqualTypeOf<TimeoutPhase>()
        break
      case 'ERR_SSH_PROXY_COMMAND':
        expectTypeOf(thrown.exitCode).toEqualTypeOf<number | null>()
        break
      default:
        expectTypeOf(thrown).toExtend<SSHError>()
    }
  })
})
