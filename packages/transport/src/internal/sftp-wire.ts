/**
 * The SFTP v3 requests this library sends (draft-ietf-secsh-filexfer-02), as methods of the
 * protocol library's SFTP session. Our own names for what the sftp/ folder uses, so no file
 * there depends on ssh2's types; the client adapter hands ssh2 1.17's `SFTPWrapper`, which has
 * these methods with these callback shapes.
 */
import type { SftpOpenFlags } from '../sftp/types.js'

/** The callback every request takes: an error (numeric SFTP status in `code`) or the value. @internal */
export type SftpWireCallback<T = void> = (err: Error | null | undefined, value: T) => void

/** One SFTP session over a session channel's `sftp` subsystem. @internal */
export interface SftpWire {
  on(event: 'error', listener: (err: unknown) => void): unknown
  on(event: 'end' | 'close', listener: () => void): unknown
  end(): void
  open(path: string, flags: SftpOpenFlags, cb: SftpWireCallback<Buffer>): void
  close(handle: Buffer, cb: SftpWireCallback): void
  read(handle: Buffer, buf: Buffer, offset: number, length: number, position: number, cb: (err: Error | null | undefined, bytesRead: number) => void): void
  write(handle: Buffer, buf: Buffer, offset: number, length: number, position: number, cb: (err: Error | null | undefined) => void): void
  fstat(handle: Buffer, cb: SftpWireCallback<unknown>): void
  fchmod(handle: Buffer, mode: number, cb: SftpWireCallback): void
  stat(path: string, cb: SftpWireCallback<unknown>): void
  lstat(path: string, cb: SftpWireCallback<unknown>): void
  readdir(path: string, cb: SftpWireCallback<Array<{ filename: string; longname: string; attrs: unknown }>>): void
  mkdir(path: string, attrs: { mode?: number }, cb: SftpWireCallback): void
  rmdir(path: string, cb: SftpWireCallback): void
  unlink(path: string, cb: SftpWireCallback): void
  rename(oldPath: string, newPath: string, cb: SftpWireCallback): void
  ext_openssh_rename(oldPath: string, newPath: string, cb: SftpWireCallback): void
  realpath(path: string, cb: SftpWireCallback<string>): void
  chmod(path: string, mode: number, cb: SftpWireCallback): void
  utimes(path: string, atime: number, mtime: number, cb: SftpWireCallback): void
  readlink(path: string, cb: SftpWireCallback<string>): void
  symlink(target: string, linkPath: string, cb: SftpWireCallback): void
}
