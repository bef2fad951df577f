/**
 * Internal access to the protocol library's key object behind a {@link PrivateKey}. The
 * Transport's authentication uses it; nothing here is exported from the package.
 */
import type { ProtocolKey } from '../internal/protocol-keys.js'
import type { PrivateKey } from './private-key.js'

// A WeakMap keeps the parsed key (and the private PEM inside it) off the PrivateKey object, so
// util.inspect, JSON.stringify, Object.getOwnPropertySymbols and structuredClone never reach it.
const parsedKeys = new WeakMap<PrivateKey, ProtocolKey>()

/** Records the ssh2 key object for `key`; called once by the loader. @internal */
export function attachSsh2Key(key: PrivateKey, parsed: ProtocolKey): void {
  parsedKeys.set(key, parsed)
}

/**
 * Returns the ssh2 parsed key behind `key`, for ssh2's `authHandler` (`{ type: 'publickey', key }`).
 *
 * @throws TypeError when `key` did not come from `loadPrivateKey()`.
 * @internal
 */
export function ssh2KeyOf(key: PrivateKey): ProtocolKey {
  const parsed = parsedKeys.get(key)
  if (parsed === undefined) throw new TypeError('not a PrivateKey made by loadPrivateKey()')
  return parsed
}
