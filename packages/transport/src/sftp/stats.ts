/**
 * File attributes as an SFTP v3 server reports them (draft-ietf-secsh-filexfer-02 §5).
 */
import { constants } from 'node:fs'

/** The attribute fields a server may send; each is absent when the server did not send it. */
export interface SftpStatsFields {
  /** File type and permission bits (`st_mode`). */
  readonly mode?: number | undefined
  /** Owner's numeric id. */
  readonly uid?: number | undefined
  /** Group's numeric id. */
  readonly gid?: number | undefined
  /** Size in bytes. */
  readonly size?: number | undefined
  /** Last access, in whole seconds since the epoch. */
  readonly atime?: number | undefined
  /** Last modification, in whole seconds since the epoch. */
  readonly mtime?: number | undefined
}

/**
 * Holds one file's attributes; paramiko's `SFTPAttributes` (`st_mode`, `st_size`, … become
 * `mode`, `size`, …). A field is `undefined` when the server did not send it (SFTP v3 makes each
 * group optional; OpenSSH always sends all of them).
 */
export class SftpStats implements SftpStatsFields {
  /** File type and permission bits (`st_mode`). */
  readonly mode: number | undefined
  /** Owner's numeric id. */
  readonly uid: number | undefined
  /** Group's numeric id. */
  readonly gid: number | undefined
  /** Size in bytes. */
  readonly size: number | undefined
  /** Last access, in whole seconds since the epoch. */
  readonly atime: number | undefined
  /** Last modification, in whole seconds since the epoch. */
  readonly mtime: number | undefined

  /** Creates attributes from the fields a server sent. */
  constructor(fields: SftpStatsFields) {
    this.mode = fields.mode
    this.uid = fields.uid
    this.gid = fields.gid
    this.size = fields.size
    this.atime = fields.atime
    this.mtime = fields.mtime
    Object.freeze(this)
  }

  /** Tells whether this is a regular file. */
  isFile(): boolean {
    return this.#type() === constants.S_IFREG
  }

  /** Tells whether this is a directory. */
  isDirectory(): boolean {
    return this.#type() === constants.S_IFDIR
  }

  /** Tells whether this is a symbolic link (only `lstat` and `readdir` can report one). */
  isSymbolicLink(): boolean {
    return this.#type() === constants.S_IFLNK
  }

  /** Tells whether this is a block device. */
  isBlockDevice(): boolean {
    return this.#type() === constants.S_IFBLK
  }

  /** Tells whether this is a character device. */
  isCharacterDevice(): boolean {
    return this.#type() === constants.S_IFCHR
  }

  /** Tells whether this is a named pipe. */
  isFIFO(): boolean {
    return this.#type() === constants.S_IFIFO
  }

  /** Tells whether this is a Unix domain socket. */
  isSocket(): boolean {
    return this.#type() === constants.S_IFSOCK
  }

  #type(): number | undefined {
    return this.mode === undefined ? undefined : this.mode & constants.S_IFMT
  }
}

const field = (raw: Record<string, unknown>, key: keyof SftpStatsFields): number | undefined => {
  const value = raw[key]
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined
}

/** Converts the attributes object ssh2 hands back into an {@link SftpStats}. @internal */
export function toSftpStats(raw: unknown): SftpStats {
  const r = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {}
  return new SftpStats({
    mode: field(r, 'mode'),
    uid: field(r, 'uid'),
    gid: field(r, 'gid'),
    size: field(r, 'size'),
    atime: field(r, 'atime'),
    mtime: field(r, 'mtime'),
  })
}
