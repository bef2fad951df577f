/** statvfs@openssh.com and fstatvfs@openssh.com answers (OpenSSH PROTOCOL §4.4). */
import { statfs } from 'node:fs/promises'
import { extendedReply } from './replies.js'

/** ST_RDONLY in the f_flag field. */
const ST_RDONLY = 0x1
/** Node's statfs has no f_namemax; Linux file systems use 255. */
const NAME_MAX = 255

/**
 * Returns the EXTENDED_REPLY of the file system holding `real`: bsize, frsize, blocks, bfree,
 * bavail, files, ffree, favail, fsid, flag, namemax. A read-only server reports ST_RDONLY.
 */
export async function statvfsReply(id: number, real: string, readOnly: boolean): Promise<Buffer> {
  const s = await statfs(real, { bigint: true })
  const flag = BigInt(readOnly ? ST_RDONLY : 0)
  return extendedReply(id, [s.bsize, s.bsize, s.blocks, s.bfree, s.bavail, s.files, s.ffree, s.ffree, 0n, flag, BigInt(NAME_MAX)])
}
