/**
 * The Transport's internal factory for {@link SftpClient}; it keeps ssh2's types out of the
 * public surface: no ssh2 type appears in a public signature.
 */
import { SftpClient } from './sftp-client.js'
import type { SftpClientOptions } from './types.js'

/**
 * Wraps the SFTP wrapper that ssh2's `Client#sftp(cb)` yields into an {@link SftpClient}.
 *
 * @param wrapper - ssh2's `SFTPWrapper`, typed `unknown` so no ssh2 type leaks into our API.
 * @param options - `onClose` runs once when the client stops being usable.
 * @throws TypeError when `wrapper` is not an ssh2 SFTP wrapper.
 * @example
 * ```ts
 * client.sftp((err, wrapper) => { if (!err) resolve(createSftpClient(wrapper, { onClose })) })
 * ```
 * @internal
 */
export function createSftpClient(wrapper: unknown, options: SftpClientOptions = {}): SftpClient {
  return new SftpClient(wrapper, options)
}
