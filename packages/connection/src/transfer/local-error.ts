/**
 * Local file failures inside a transfer (a missing source, a read-only destination directory)
 * become {@link SFTPError} as the transport's fastGet/fastPut make them: `path` is the remote
 * path, `status` is undefined (no server said anything) and `cause` is the Node fs error, whose
 * `code` ('ENOENT', 'EACCES', …) tells what went wrong.
 * @internal
 */
import { SFTPError } from '@x/transport'

/** Wraps the fs error `err` of a `put`/`get` between `remotePath` and `localPath`. */
export function localError(err: unknown, op: 'put' | 'get', remotePath: string, localPath: string): SFTPError {
  if (err instanceof SFTPError) return err
  const detail = err instanceof Error ? err.message : String(err)
  return new SFTPError(`${op} '${remotePath}' failed: local file '${localPath}': ${detail}`, { path: remotePath }, { cause: err })
}
