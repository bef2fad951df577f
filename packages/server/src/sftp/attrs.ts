/**
 * SFTP v3 file attributes (draft-ietf-secsh-filexfer-02 §5): decoding a client's ATTRS, encoding
 * a `fs.Stats`, and the `ls -l` style longname of a directory entry (draft-02 §7, SSH_FXP_NAME).
 */
import type { BigIntStats, Stats } from 'node:fs'
import { AttrFlag } from './constants.js'
import type { PacketWriter, PayloadReader } from './codec.js'

/** Attributes a client asked to set; absent fields are left alone. */
export interface SetAttrs {
  /** New size (truncate or extend). */
  readonly size?: number | undefined
  /** New owner. */
  readonly uid?: number | undefined
  /** New group (sent together with uid). */
  readonly gid?: number | undefined
  /** New permission bits (only the low 12 bits are applied). */
  readonly permissions?: number | undefined
  /** New access time, seconds since the epoch. */
  readonly atime?: number | undefined
  /** New modification time, seconds since the epoch. */
  readonly mtime?: number | undefined
}

/** Reads an ATTRS structure; extended pairs are read and ignored. */
export function readAttrs(r: PayloadReader): SetAttrs {
  const flags = r.uint32()
  const size = flags & AttrFlag.SIZE ? r.uint64() : undefined
  const uid = flags & AttrFlag.UIDGID ? r.uint32() : undefined
  const gid = flags & AttrFlag.UIDGID ? r.uint32() : undefined
  const permissions = flags & AttrFlag.PERMISSIONS ? r.uint32() : undefined
  const atime = flags & AttrFlag.ACMODTIME ? r.uint32() : undefined
  const mtime = flags & AttrFlag.ACMODTIME ? r.uint32() : undefined
  if (flags & AttrFlag.EXTENDED) {
    const count = r.uint32()
    for (let i = 0; i < count; i++) {
      r.bytes()
      r.bytes()
    }
  }
  return { size, uid, gid, permissions, atime, mtime }
}

/** Writes the full attributes of a stat result (size, uid/gid, permissions with type bits, times). */
export function writeStats(w: PacketWriter, st: Stats | BigIntStats): PacketWriter {
  w.uint32(AttrFlag.SIZE | AttrFlag.UIDGID | AttrFlag.PERMISSIONS | AttrFlag.ACMODTIME)
  w.uint64(st.size)
  w.uint32(Number(st.uid))
  w.uint32(Number(st.gid))
  w.uint32(Number(st.mode))
  w.uint32(Number(st.atimeMs) / 1000)
  return w.uint32(Number(st.mtimeMs) / 1000)
}

/** Writes an empty ATTRS (flags 0), as OpenSSH does in REALPATH answers. */
export function writeNoAttrs(w: PacketWriter): PacketWriter {
  return w.uint32(0)
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const SIX_MONTHS_MS = 182 * 24 * 3600 * 1000

/** Returns the `ls -l` permission string for a mode, e.g. `drwxr-xr-x`. */
export function modeString(mode: number): string {
  const type = mode & 0o170000
  const t =
    type === 0o040000 ? 'd' : type === 0o120000 ? 'l' : type === 0o020000 ? 'c' : type === 0o060000 ? 'b'
    : type === 0o010000 ? 'p' : type === 0o140000 ? 's' : '-'
  const bit = (mask: number, ch: string): string => (mode & mask ? ch : '-')
  const x = (exec: number, special: number, set: string): string =>
    mode & special ? (mode & exec ? set : set.toUpperCase()) : bit(exec, 'x')
  return (
    t + bit(0o400, 'r') + bit(0o200, 'w') + x(0o100, 0o4000, 's')
    + bit(0o040, 'r') + bit(0o020, 'w') + x(0o010, 0o2000, 's')
    + bit(0o004, 'r') + bit(0o002, 'w') + x(0o001, 0o1000, 't')
  )
}

/**
 * Returns the longname of a directory entry in the shape OpenSSH's `ls_file` prints
 * (mode, links, owner, group, size, date, name), with numeric owner and group.
 */
export function longname(name: string, st: Stats, nowMs: number = Date.now()): string {
  const d = new Date(st.mtimeMs)
  const day = String(d.getDate()).padStart(2, ' ')
  const recent = Math.abs(nowMs - st.mtimeMs) < SIX_MONTHS_MS
  const when = recent
    ? `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`
    : ` ${d.getFullYear()}`
  const date = `${MONTHS[d.getMonth()]} ${day} ${when}`
  const owner = String(st.uid).padEnd(8)
  const group = String(st.gid).padEnd(8)
  return `${modeString(st.mode)} ${String(st.nlink).padStart(3)} ${owner} ${group} ${String(st.size).padStart(8)} ${date} ${name}`
}
