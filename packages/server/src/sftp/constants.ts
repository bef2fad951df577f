/**
 * SFTP v3 numbers (draft-ietf-secsh-filexfer-02 §3, §5, §6.3, §7) and OpenSSH's extension names
 * (OpenSSH PROTOCOL §4). Internal to the SFTP server.
 */
import { SftpStatus } from '@x/transport'

export { SftpStatus }

/** The protocol version this server speaks (draft-02 is SFTP v3). */
export const SFTP_VERSION = 3

/** Packet types, draft-02 §3. */
export const Packet = Object.freeze({
  INIT: 1,
  VERSION: 2,
  OPEN: 3,
  CLOSE: 4,
  READ: 5,
  WRITE: 6,
  LSTAT: 7,
  FSTAT: 8,
  SETSTAT: 9,
  FSETSTAT: 10,
  OPENDIR: 11,
  READDIR: 12,
  REMOVE: 13,
  MKDIR: 14,
  RMDIR: 15,
  REALPATH: 16,
  STAT: 17,
  RENAME: 18,
  READLINK: 19,
  SYMLINK: 20,
  STATUS: 101,
  HANDLE: 102,
  DATA: 103,
  NAME: 104,
  ATTRS: 105,
  EXTENDED: 200,
  EXTENDED_REPLY: 201,
} as const)

/** Attribute flags, draft-02 §5. */
export const AttrFlag = Object.freeze({
  SIZE: 0x1,
  UIDGID: 0x2,
  PERMISSIONS: 0x4,
  ACMODTIME: 0x8,
  EXTENDED: 0x80000000,
} as const)

/** SSH_FXP_OPEN pflags, draft-02 §6.3. */
export const OpenFlag = Object.freeze({
  READ: 0x1,
  WRITE: 0x2,
  APPEND: 0x4,
  CREAT: 0x8,
  TRUNC: 0x10,
  EXCL: 0x20,
} as const)

/**
 * The largest packet (length field value) this server advertises in limits@openssh.com: OpenSSH's
 * SFTP_MAX_MSG_LENGTH (sftp-common.h), 256 KiB.
 */
export const MAX_PACKET_LENGTH = 256 * 1024

/**
 * The largest length field accepted before the connection is closed: the advertised maximum plus
 * 1 KiB of slack for clients that size their data to 256 KiB and add the header on top. A larger
 * length is never allocated.
 */
export const MAX_ACCEPTED_LENGTH = MAX_PACKET_LENGTH + 1024

/** The largest READ answered and WRITE advertised: the packet limit less room for the header (as OpenSSH). */
export const MAX_IO_LENGTH = MAX_PACKET_LENGTH - 1024

/** Entries per SSH_FXP_NAME answer to READDIR (OpenSSH sends at most 100). */
export const READDIR_BATCH = 100

/**
 * The extensions advertised in SSH_FXP_VERSION, with their version strings, in the order OpenSSH 9's
 * sftp-server lists them (OpenSSH PROTOCOL §4). OpenSSH's users-groups-by-id@openssh.com is left
 * out on purpose: a confined client is not told the host's user and group names.
 */
export const EXTENSIONS: readonly (readonly [name: string, version: string])[] = Object.freeze([
  ['posix-rename@openssh.com', '1'],
  ['statvfs@openssh.com', '2'],
  ['fstatvfs@openssh.com', '2'],
  ['hardlink@openssh.com', '1'],
  ['fsync@openssh.com', '1'],
  ['lsetstat@openssh.com', '1'],
  ['limits@openssh.com', '1'],
  ['expand-path@openssh.com', '1'],
  ['copy-data', '1'],
  ['home-directory', '1'],
])
