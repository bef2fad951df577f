/**
 * How failures become SSH_FXP_STATUS answers (draft-ietf-secsh-filexfer-02 §7): a thrown
 * {@link SftpStatusError} carries its code; a Node errno error is mapped as OpenSSH's
 * `errno_to_portable` (sftp-server.c) does; anything else is FAILURE.
 */
import { SftpStatus } from './constants.js'

/** The numeric SFTP status codes used in answers. */
export type StatusCode = (typeof SftpStatus)[keyof typeof SftpStatus]

/** Thrown inside the server to answer a request with a given status and message. */
export class SftpStatusError extends Error {
  override readonly name = 'SftpStatusError'
  /** The SFTP status code answered. */
  readonly status: StatusCode

  /** Creates an error answered with `status` and `message`. */
  constructor(status: StatusCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.status = status
  }
}

/** Returns a PERMISSION_DENIED error (read-only server, or a path that would leave root). */
export function denied(message = 'Permission denied'): SftpStatusError {
  return new SftpStatusError(SftpStatus.PERMISSION_DENIED, message)
}

/** Returns a NO_SUCH_FILE error. */
export function noSuchFile(message = 'No such file'): SftpStatusError {
  return new SftpStatusError(SftpStatus.NO_SUCH_FILE, message)
}

/** Returns a FAILURE error with a message. */
export function failure(message: string): SftpStatusError {
  return new SftpStatusError(SftpStatus.FAILURE, message)
}

const ERRNO: Readonly<Record<string, readonly [StatusCode, string]>> = {
  ENOENT: [SftpStatus.NO_SUCH_FILE, 'No such file'],
  ENOTDIR: [SftpStatus.NO_SUCH_FILE, 'No such file'],
  EBADF: [SftpStatus.NO_SUCH_FILE, 'No such file'],
  ELOOP: [SftpStatus.NO_SUCH_FILE, 'Too many levels of symbolic links'],
  EACCES: [SftpStatus.PERMISSION_DENIED, 'Permission denied'],
  EPERM: [SftpStatus.PERMISSION_DENIED, 'Permission denied'],
  EROFS: [SftpStatus.PERMISSION_DENIED, 'Read-only file system'],
  EINVAL: [SftpStatus.BAD_MESSAGE, 'Bad message'],
  ENOSYS: [SftpStatus.OP_UNSUPPORTED, 'Operation unsupported'],
  EOPNOTSUPP: [SftpStatus.OP_UNSUPPORTED, 'Operation unsupported'],
  EEXIST: [SftpStatus.FAILURE, 'File exists'],
  ENOTEMPTY: [SftpStatus.FAILURE, 'Directory not empty'],
  EISDIR: [SftpStatus.FAILURE, 'Is a directory'],
  ENOSPC: [SftpStatus.FAILURE, 'No space left on device'],
  EXDEV: [SftpStatus.FAILURE, 'Cross-device link'],
}

/** Maps any thrown value to the status and message answered to the client (never a host path). */
export function toStatus(err: unknown): readonly [StatusCode, string] {
  if (err instanceof SftpStatusError) return [err.status, err.message]
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code === 'string') return ERRNO[code] ?? [SftpStatus.FAILURE, 'Failure']
  return [SftpStatus.FAILURE, 'Failure']
}
