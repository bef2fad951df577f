// Two installed copies of @x/transport (one tarball installed as `transport-a`, a copy of it as
// `transport-b`): release/pack.test.ts runs this with plain node and compares what it prints.
// An error made by one copy must be `instanceof` the other copy's classes, by brand.
import * as A from 'transport-a'
import * as B from 'transport-b'

const timeout = new A.TimeoutError('no answer', { phase: 'auth', timeoutMs: 1 })
const hostKey = new B.HostKeyError('unknown key', { reason: 'unknown', host: 'h', port: 22, fingerprint: 'SHA256:x' })
const badType = new A.BadAuthenticationTypeError('no', { username: 'u', triedMethods: ['password'], allowedTypes: ['publickey'] })
const auth = new A.AuthenticationError('no', { username: 'u', triedMethods: ['password'], allowedTypes: [] })
// One the library raised, not one made by hand: copy A's key parser refusing garbage.
const raised = await A.loadPrivateKey('not a key').then(() => undefined, (err) => err)
/** A program's own subclass: unbranded, so instanceof it is the ordinary prototype check. */
class MyTimeout extends A.TimeoutError {}
const mine = new MyTimeout('mine', { phase: 'command', timeoutMs: 2 })

console.log(JSON.stringify({
  sameClass: A.TimeoutError === B.TimeoutError,
  timeoutIsB: [timeout instanceof B.TimeoutError, timeout instanceof B.SSHError],
  hostKeyIsA: [hostKey instanceof A.HostKeyError, hostKey instanceof A.SSHError],
  timeoutIsHostKey: [timeout instanceof B.HostKeyError, hostKey instanceof A.TimeoutError],
  raised: [raised?.code, raised instanceof B.KeyError, raised instanceof B.SSHError, raised instanceof B.TimeoutError],
  plainError: [new Error('x') instanceof B.SSHError, new TypeError('x') instanceof B.TimeoutError, {} instanceof B.SSHError, null instanceof B.SSHError],
  subclass: [badType instanceof B.AuthenticationError, auth instanceof B.BadAuthenticationTypeError, auth instanceof B.AuthenticationError],
  ownSubclass: [mine instanceof B.TimeoutError, mine instanceof MyTimeout, timeout instanceof MyTimeout],
  guard: [B.isTransportError(timeout), B.isTransportError(raised), B.isTransportError(new Error('x'))],
}))
