// Where each error class lives and which guard accepts it: isSSHError covers every package,
// each package's guard only its own classes.
import * as connection from '@x/connection'
import * as gateway from '@x/gateway'
import * as transport from '@x/transport'
import {
  GatewayConflictError,
  isCommandError,
  isGatewayError,
  isSSHError,
  isTransportError,
  MaxBufferError,
  ProxyCommandError,
  Result,
  SSHError,
  TimeoutError,
  UnexpectedExitError,
} from '@x/connection'
import { describe, expect, it } from 'vitest'

const stop = { method: 'signal', mayStillRun: false } as const
const own = {
  UnexpectedExitError: new UnexpectedExitError('exit 1', { result: new Result('false', '', '', 1, null) }),
  MaxBufferError: new MaxBufferError('too much', { maxBuffer: 1, stream: 'stdout', stop }),
}
const gatewayErrors = {
  GatewayConflictError: new GatewayConflictError('both', { host: 'h', sources: ['option gateway (Connection)', 'ssh_config ProxyCommand'] }),
  ProxyCommandError: new ProxyCommandError('exited', { command: 'nc', exitCode: 1, signal: null, stderrTail: '' }),
}
const transportErrors = { SSHError: new SSHError('base'), TimeoutError: new TimeoutError('slow', { phase: 'command', timeoutMs: 1, stop }) }

describe('error ownership', () => {
  it('exports each class from the package that raises it, and every class from @x/connection', () => {
    for (const name of Object.keys(own)) {
      expect(name in transport, name).toBe(false)
      expect(name in gateway, name).toBe(false)
    }
    for (const name of Object.keys(gatewayErrors)) {
      expect(name in transport, name).toBe(false)
      expect((gateway as Record<string, unknown>)[name], name).toBe((connection as Record<string, unknown>)[name])
    }
    expect(gateway.ConfigError).toBe(transport.ConfigError)
    expect(connection.ConfigError).toBe(transport.ConfigError)
  })
})

describe('the guards', () => {
  it('isSSHError accepts the errors of every package, and nothing else', () => {
    for (const [name, err] of Object.entries({ ...own, ...gatewayErrors, ...transportErrors })) expect(isSSHError(err), name).toBe(true)
    for (const value of [new Error('x'), Object.assign(new Error('x'), { code: 'ERR_SSH_TIMEOUT' }), null, 'ERR_SSH']) expect(isSSHError(value)).toBe(false)
  })

  it("each package's guard accepts only that package's errors", () => {
    for (const err of Object.values(own)) expect([isCommandError(err), isGatewayError(err), isTransportError(err)]).toEqual([true, false, false])
    for (const err of Object.values(gatewayErrors)) expect([isCommandError(err), isGatewayError(err), isTransportError(err)]).toEqual([false, true, false])
    for (const err of Object.values(transportErrors)) expect([isCommandError(err), isGatewayError(err), isTransportError(err)]).toEqual([false, false, true])
  })

  it('every error of a package is an SSHError', () => {
    for (const err of Object.values({ ...own, ...gatewayErrors })) expect(err).toBeInstanceOf(SSHError)
  })
})
