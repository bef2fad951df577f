/**
 * Where an upload lands: Fabric's rule that a remote directory gets the local file's name.
 * @internal
 */
import { SFTPError, type SftpClient } from '@x/transport'

/** Joins `name` onto the remote directory `dir` ('/' stays '/', trailing slashes collapse). */
export function joinRemote(dir: string, name: string): string {
  return `${dir.replace(/\/+$/, '')}/${name}`
}

/**
 * Returns the remote file an upload writes: `remotePath` itself, or `remotePath/name` when it
 * ends with '/' or names an existing directory (`name` is the local file's base name). As
 * Fabric's `is_remote_dir`, a failed stat means "not a directory": the open that follows reports
 * the real error.
 *
 * @throws TypeError when the target is a directory and the source has no file name (a Buffer, a
 *   stream that is not a file stream), as Fabric raises ValueError.
 * @throws ConnectionLostError when the connection is gone.
 */
export async function remoteTarget(
  sftp: SftpClient,
  remotePath: string,
  name: string | undefined,
  signal: AbortSignal | undefined,
): Promise<string> {
  let isDir = remotePath.endsWith('/')
  if (!isDir) {
    try {
      isDir = (await sftp.stat(remotePath, { signal })).isDirectory()
    } catch (err) {
      if (!(err instanceof SFTPError)) throw err
    }
  }
  if (!isDir) return remotePath
  if (name === undefined || name === '') {
    throw new TypeError(`'${remotePath}' is a directory: a Buffer or a stream without a file path needs a remote file name`)
  }
  return joinRemote(remotePath, name)
}
