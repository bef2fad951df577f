/**
 * The one place where the protocol library's SFTP errors become ours: errors are translated in
 * exactly one module per concern.
 */
// ssh2 1.17 reports a server status as an `Error` whose `code` is the numeric SFTP status; every
// other error (a closed channel's "No response from server", a malformed packet, a missing
// extension) has no numeric `code`.
import { ConnectionLostError, SFTPError } from '../errors.js'

const STATUS_NAMES: Readonly<Record<number, string>> = {
  1: 'end of file',
  2: 'no such file',
  3: 'permission denied',
  4: 'failure',
  5: 'bad message',
  6: 'no connection',
  7: 'connection lost',
  8: 'operation unsupported',
}

/** What an operation was doing when it failed: its name and the remote path(s). */
export interface SftpOperation {
  readonly op: string
  readonly path?: string | undefined
  readonly toPath?: string | undefined
  /** The local file of a transfer. */
  readonly local?: string | undefined
}

const describe = (o: SftpOperation): string =>
  `SFTP ${o.op}` +
  (o.path === undefined ? '' : ` '${o.path}'`) +
  (o.toPath === undefined ? '' : ` -> '${o.toPath}'`) +
  (o.local === undefined ? '' : ` (local file '${o.local}')`)

/** Returns the SFTP status ssh2 put in `err.code`, or undefined when it is not a status error. @internal */
export function sftpStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined
  const code = (err as { code?: unknown }).code
  return typeof code === 'number' && Number.isInteger(code) ? code : undefined
}

/** Returns the `status` of one of our SFTPErrors, or undefined for any other error. */
export function statusOf(err: unknown): number | undefined {
  return err instanceof SFTPError ? err.status : undefined
}

/** Builds the error a call gets when the channel closed or the connection went away under it. */
export function connectionLost(o: SftpOperation, cause?: unknown): ConnectionLostError {
  return new ConnectionLostError(
    `${describe(o)} failed: the SFTP channel is closed`,
    cause === undefined ? {} : { cause },
  )
}

/**
 * Translates an ssh2 SFTP error into an {@link SFTPError} with `path`, `status` and `cause`, or
 * into a {@link ConnectionLostError} when `closed` says the channel had gone away and the error is
 * not a server status.
 * @internal
 */
export function translateSftpError(err: unknown, o: SftpOperation, closed: boolean): SFTPError | ConnectionLostError {
  if (err instanceof SFTPError || err instanceof ConnectionLostError) return err
  const status = sftpStatusOf(err)
  if (status === undefined && closed) return connectionLost(o, err)
  const detail = err instanceof Error && err.message !== '' ? err.message : (STATUS_NAMES[status ?? -1] ?? 'unknown error')
  const named = status === undefined ? '' : ` (status ${status}: ${STATUS_NAMES[status] ?? 'unknown'})`
  return new SFTPError(`${describe(o)} failed: ${detail}${named}`, { path: o.path, status }, { cause: err })
}

/** Builds the error of a local-file failure inside a transfer; the remote path is kept as `path`. */
export function transferError(err: unknown, o: SftpOperation): SFTPError {
  if (err instanceof SFTPError) return err
  const detail = err instanceof Error ? err.message : String(err)
  return new SFTPError(`${describe(o)} failed: ${detail}`, { path: o.path }, { cause: err })
}
