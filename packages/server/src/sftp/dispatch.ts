/**
 * Routes a request to its handler by packet type, and SSH_FXP_EXTENDED requests by extension name
 * (draft-02 §8; OpenSSH PROTOCOL §4). Unknown requests answer OP_UNSUPPORTED.
 */
import type { PayloadReader } from './codec.js'
import { Packet, SftpStatus } from './constants.js'
import type { RequestHandler, SessionContext } from './context.js'
import { openDir, readDir } from './ops-dirs.js'
import {
  closeHandle, copyData, fsetstatFile, fstatFile, fstatvfsFile, fsyncFile, openFile, readFile, writeFile,
} from './ops-files.js'
import {
  expandPath, hardlinkPath, homeDirectory, lsetstatPath, lstatPath, mkdirPath, posixRenamePath, readlinkPath, realpathPath,
  removePath, renamePath, rmdirPath, setstatPath, statPath, statvfsPath, symlinkPath,
} from './ops-paths.js'
import { extendedReply, statusReply } from './replies.js'
import { MAX_IO_LENGTH, MAX_PACKET_LENGTH } from './constants.js'

/** limits@openssh.com (PROTOCOL §4.8): packet, read and write lengths, open handles. */
const limits: RequestHandler = async (id, _r, ctx) =>
  extendedReply(id, [MAX_PACKET_LENGTH, MAX_IO_LENGTH, MAX_IO_LENGTH, ctx.maxHandles])

const REQUESTS: ReadonlyMap<number, RequestHandler> = new Map([
  [Packet.OPEN, openFile],
  [Packet.CLOSE, closeHandle],
  [Packet.READ, readFile],
  [Packet.WRITE, writeFile],
  [Packet.LSTAT, lstatPath],
  [Packet.FSTAT, fstatFile],
  [Packet.SETSTAT, setstatPath],
  [Packet.FSETSTAT, fsetstatFile],
  [Packet.OPENDIR, openDir],
  [Packet.READDIR, readDir],
  [Packet.REMOVE, removePath],
  [Packet.MKDIR, mkdirPath],
  [Packet.RMDIR, rmdirPath],
  [Packet.REALPATH, realpathPath],
  [Packet.STAT, statPath],
  [Packet.RENAME, renamePath],
  [Packet.READLINK, readlinkPath],
  [Packet.SYMLINK, symlinkPath],
])

/** The handlers of the advertised extensions (constants.ts EXTENSIONS lists the same names). */
const EXTENDED: ReadonlyMap<string, RequestHandler> = new Map([
  ['posix-rename@openssh.com', posixRenamePath],
  ['statvfs@openssh.com', statvfsPath],
  ['fstatvfs@openssh.com', fstatvfsFile],
  ['hardlink@openssh.com', hardlinkPath],
  ['fsync@openssh.com', fsyncFile],
  ['lsetstat@openssh.com', lsetstatPath],
  ['limits@openssh.com', limits],
  ['expand-path@openssh.com', expandPath],
  ['copy-data', copyData],
  ['home-directory', homeDirectory],
])

/** Returns the names of the extensions that have a handler. */
export function handledExtensions(): string[] {
  return [...EXTENDED.keys()]
}

/**
 * Runs the request of `type` with id `id`; the reader is positioned after the id. Resolves with the
 * answer; rejects with a BadPacketError (malformed: the caller closes the session) or with any
 * other error, which the caller answers as a STATUS (status.ts toStatus).
 */
export function dispatch(type: number, id: number, r: PayloadReader, ctx: SessionContext): Promise<Buffer> {
  if (type === Packet.EXTENDED) {
    const name = r.string()
    const handler = EXTENDED.get(name)
    if (handler === undefined) return Promise.resolve(statusReply(id, SftpStatus.OP_UNSUPPORTED, 'Unsupported extension'))
    return handler(id, r, ctx)
  }
  const handler = REQUESTS.get(type)
  if (handler === undefined) return Promise.resolve(statusReply(id, SftpStatus.OP_UNSUPPORTED, 'Operation unsupported'))
  return handler(id, r, ctx)
}
