/**
 * Applying a client's SETSTAT/FSETSTAT/lsetstat attributes to a file (draft-02 §6.9): size, owner,
 * permissions and times, in OpenSSH's order (sftp-server.c process_setstat).
 */
import { constants } from 'node:fs'
import { chmod, lchown, lstat, lutimes, open } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import type { SetAttrs } from './attrs.js'
import { SftpStatus } from './constants.js'
import { SftpStatusError } from './status.js'

const { O_WRONLY, O_NOFOLLOW, O_NONBLOCK } = constants

/** Applies attributes through an open file. */
export async function applyToHandle(file: FileHandle, a: SetAttrs): Promise<void> {
  if (a.size !== undefined) await file.truncate(a.size)
  if (a.permissions !== undefined) await file.chmod(a.permissions & 0o7777)
  if (a.atime !== undefined && a.mtime !== undefined) await file.utimes(a.atime, a.mtime)
  if (a.uid !== undefined && a.gid !== undefined) await file.chown(a.uid, a.gid)
}

/**
 * Applies attributes to a host path whose directories hold no symlink. The final component is
 * never followed: size through an O_NOFOLLOW open, owner and times with lchown/lutimes; Linux has
 * no lchmod, so permissions of a symlink are OP_UNSUPPORTED and of anything else use chmod.
 */
export async function applyToPath(real: string, a: SetAttrs): Promise<void> {
  const st = await lstat(real)
  if (a.size !== undefined) {
    const f = await open(real, O_WRONLY | O_NOFOLLOW | O_NONBLOCK)
    try {
      await f.truncate(a.size)
    } finally {
      await f.close()
    }
  }
  if (a.permissions !== undefined) {
    if (st.isSymbolicLink()) throw new SftpStatusError(SftpStatus.OP_UNSUPPORTED, 'Cannot change the mode of a symlink')
    await chmod(real, a.permissions & 0o7777)
  }
  if (a.atime !== undefined && a.mtime !== undefined) await lutimes(real, a.atime, a.mtime)
  if (a.uid !== undefined && a.gid !== undefined) await lchown(real, a.uid, a.gid)
}
