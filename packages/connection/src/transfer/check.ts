/**
 * Argument checks shared by `put()` and `get()`: programmer mistakes are TypeError/RangeError
 * (not SSHError), raised before anything touches the network or the disk.
 * @internal
 */

/** Throws a TypeError unless `path` is a non-empty string. */
export function checkPath(name: string, path: unknown): asserts path is string {
  if (typeof path !== 'string' || path === '') throw new TypeError(`${name} must be a non-empty string`)
}

/** Throws unless the shared transfer options are well-formed. */
export function checkTransferOptions(o: {
  readonly mode?: unknown
  readonly preserveMode?: unknown
  readonly onProgress?: unknown
  readonly signal?: unknown
}): void {
  if (o.mode !== undefined && !(Number.isInteger(o.mode) && (o.mode as number) >= 0 && (o.mode as number) <= 0o7777)) {
    throw new RangeError(`mode must be an integer between 0 and 0o7777, got ${String(o.mode)}`)
  }
  if (o.preserveMode !== undefined && typeof o.preserveMode !== 'boolean') throw new TypeError('preserveMode must be a boolean')
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw new TypeError('onProgress must be a function')
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new TypeError('signal must be an AbortSignal')
}
