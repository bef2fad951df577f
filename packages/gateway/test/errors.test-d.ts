// Type tests (vitest typecheck and `tsc -p tsconfig.json`): `switch (err.code)` on GatewayError
// narrows to the class for each code @x/gateway defines, and isGatewayError narrows unknown.
import { GatewayConflictError, isGatewayError, ProxyCommandError, type GatewayError } from '@x/gateway'
import { describe, expectTypeOf, it } from 'vitest'

declare const err: GatewayError
declare const thrown: unknown

describe('GatewayError', () => {
  it('narrows to the class for every code in a switch, leaving nothing for default', () => {
    switch (err.code) {
      case 'ERR_SSH_GATEWAY_CONFLICT':
        expectTypeOf(err).toEqualTypeOf<GatewayConflictError>()
        expectTypeOf(err.host).toEqualTypeOf<string>()
        break
      case 'ERR_SSH_PROXY_COMMAND':
        expectTypeOf(err).toEqualTypeOf<ProxyCommandError>()
        expectTypeOf(err.signal).toEqualTypeOf<string | null>()
        break
      default:
        expectTypeOf(err).toBeNever()
    }
  })

  it('isGatewayError narrows unknown to GatewayError', () => {
    if (isGatewayError(thrown)) expectTypeOf(thrown).toEqualTypeOf<GatewayError>()
    else expectTypeOf(thrown).toEqualTypeOf<unknown>()
  })
})
