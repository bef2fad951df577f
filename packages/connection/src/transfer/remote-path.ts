/**
 * `~` in a remote path: the remote home directory, as `scp host:~/x` and `sftp` understand it.
 * @internal
 */
import { raceSignal, type SftpClient } from '@x/transport'

/** The home directory of each SFTP session: SFTP has no chdir, so the start directory never changes. */
const homes = new WeakMap<SftpClient, Promise<string>>()

/**
 * Returns `path` with a leading `~` or `~/` replaced by the remote home: the server's REALPATH of
 * '.', the directory an SFTP session starts in (the user's home on OpenSSH and Dropbear). Any
 * other path (also `~user/…`, which SFTP v3 cannot resolve) is returned as given.
 * @throws SFTPError when the server cannot resolve '.'; ConnectionLostError when it is gone.
 */
export async function expandRemoteHome(sftp: SftpClient, path: string, signal: AbortSignal | undefined): Promise<string> {
  if (path !== '~' && !path.startsWith('~/')) return path
  let home = homes.get(sftp)
  if (!home) {
    home = sftp.realpath('.')
    homes.set(sftp, home)
    home.catch(() => homes.delete(sftp))
  }
  const dir = await raceSignal(home, signal)
  const rest = path.slice(2)
  if (path === '~' || rest === '') return path === '~' ? dir : `${dir.replace(/\/+$/, '')}/`
  return `${dir.replace(/\/+$/, '')}/${rest}`
}
