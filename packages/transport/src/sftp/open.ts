/** Opens the SFTP subsystem for `Transport.openSftpClient()`. */
import type { ChannelContext } from '../channels.js'
import { SSHError } from '../errors.js'
import { createSftpClient } from './create.js'
import type { SftpClient } from './sftp-client.js'

/**
 * Opens an SFTP session on a new session channel; a session that arrives after the caller gave
 * up (abort, timeout, close) is ended at once.
 * @throws SSHError when the server refuses the subsystem.
 * @internal
 */
export function openSftp(ctx: ChannelContext, label: string, signal: AbortSignal | undefined, timeoutMs: number): Promise<SftpClient> {
  return ctx.track<SftpClient>((resolve, reject) => {
    let abandoned = false
    ctx.protocol.openSftp((err, sftp) => {
      if (abandoned) {
        if (!err) sftp?.end()
        return
      }
      if (err || !sftp) return reject(new SSHError(`cannot start SFTP on ${label}: ${err?.message ?? 'no session'}`, { cause: err }))
      resolve(createSftpClient(sftp))
    })
    return () => {
      abandoned = true
    }
  }, { signal, timeoutMs, what: 'opening SFTP' })
}
