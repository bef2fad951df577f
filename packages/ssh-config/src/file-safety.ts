/**
 * Reading a config file safely: never block (a FIFO or device is refused before it is read), cap
 * the size, and check owner and mode where OpenSSH does (misc.c `secure_permissions()`, with
 * Debian's rule that a group-writable file is fine when its group has only the owner in it).
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, statSync, type Stats } from 'node:fs'

/**
 * The largest config file read: 1 MiB. OpenSSH has no cap; real configs are a few KiB, and the
 * cap keeps a runaway or hostile file (50 MB, /dev/zero behind a symlink) from costing time or
 * memory: it is refused from its size before a byte is read.
 */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024

/** Why a file could not be read; the caller turns it into a ConfigError. */
export class UnreadableConfigError extends Error {
  override readonly name = 'UnreadableConfigError'
  /** Creates the error; `missing` tells a file that does not exist. */
  constructor(message: string, readonly missing: boolean, options?: { cause?: unknown }) {
    super(message, options)
  }
}

function kind(st: Stats): string {
  if (st.isDirectory()) return 'a directory'
  if (st.isFIFO()) return 'a FIFO'
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device'
  if (st.isSocket()) return 'a socket'
  return 'not a regular file'
}

/**
 * Reads a config file: stat first (following symlinks), refuse anything but a regular file,
 * open with O_NONBLOCK so nothing can block, check again on the open fd, and read at most
 * {@link MAX_CONFIG_FILE_BYTES}. `/dev/null` reads as empty, as `ssh -F /dev/null` users expect.
 */
export function readConfigBytes(path: string, checkPerm: boolean, uid: number): Buffer {
  let st: Stats
  try {
    st = statSync(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new UnreadableConfigError(`Can't open user config file ${path}: ${code ?? String(err)}`, code === 'ENOENT', { cause: err })
  }
  if (st.isCharacterDevice() && st.rdev === statSync('/dev/null').rdev) return Buffer.alloc(0)
  if (!st.isFile()) throw new UnreadableConfigError(`${path} is ${kind(st)}, not a config file`, false)
  if (st.size > MAX_CONFIG_FILE_BYTES) throw new UnreadableConfigError(`${path} is larger than ${MAX_CONFIG_FILE_BYTES} bytes`, false)
  let fd: number
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY)
  } catch (err) {
    throw new UnreadableConfigError(`Can't open user config file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, false, { cause: err })
  }
  try {
    const fst = fstatSync(fd)
    if (!fst.isFile()) throw new UnreadableConfigError(`${path} is ${kind(fst)}, not a config file`, false)
    if (checkPerm && !securePermissions(fst, uid)) throw new UnreadableConfigError(`Bad owner or permissions on ${path}`, false)
    // Room for the size fstat gave plus some growth, never more than the cap plus one byte.
    const buf = Buffer.alloc(Math.min(fst.size + 65536, MAX_CONFIG_FILE_BYTES + 1))
    let n = 0
    for (let r = 1; r > 0 && n < buf.length; n += r) r = readSync(fd, buf, n, buf.length - n, null)
    if (n > MAX_CONFIG_FILE_BYTES) throw new UnreadableConfigError(`${path} is larger than ${MAX_CONFIG_FILE_BYTES} bytes`, false)
    if (n === buf.length) throw new UnreadableConfigError(`${path} grew while it was read`, false)
    return buf.subarray(0, n)
  } finally {
    closeSync(fd)
  }
}

function readTable(path: string): string[][] {
  try {
    return readFileSync(path, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(':'))
  } catch {
    return []
  }
}

/** Tells whether a file's owner and mode are acceptable for `uid` (misc.c `secure_permissions()`, Debian). */
export function securePermissions(st: Stats, uid: number): boolean {
  if (st.uid !== 0 && st.uid !== uid) return false
  if ((st.mode & 0o002) !== 0) return false
  if ((st.mode & 0o020) === 0) return true
  // Group-writable: the group must have exactly one member, the file's owner.
  const group = readTable('/etc/group').find((g) => Number(g[2]) === st.gid)
  if (group === undefined) return false
  const passwd = readTable('/etc/passwd')
  let members = 0
  for (const pw of passwd) {
    if (Number(pw[3]) !== st.gid) continue
    members++
    if (Number(pw[2]) !== uid) return false
  }
  const owner = passwd.find((pw) => Number(pw[2]) === st.uid)
  if (owner === undefined) return false
  const supplementary = (group[3] ?? '').split(',').filter((m) => m !== '')
  if (supplementary.length > 0) {
    members++
    if (supplementary[0] !== owner[0] || supplementary.length > 1) return false
  }
  return members > 0
}
