/**
 * Builders of the server's answers (draft-ietf-secsh-filexfer-02 §7): STATUS, HANDLE, DATA, NAME,
 * ATTRS and EXTENDED_REPLY, each framed and ready to write.
 */
import type { BigIntStats, Stats } from 'node:fs'
import { writeNoAttrs, writeStats } from './attrs.js'
import { PacketWriter } from './codec.js'
import { Packet, SftpStatus } from './constants.js'
import type { StatusCode } from './status.js'

/** One entry of a NAME answer. */
export interface NameEntry {
  /** The file name (or full path for REALPATH). */
  readonly filename: string
  /** The `ls -l` style line. */
  readonly longname: string
  /** The entry's attributes; absent for REALPATH answers. */
  readonly stats?: Stats | undefined
}

/** Returns an SSH_FXP_STATUS answer (language tag empty). */
export function statusReply(id: number, code: StatusCode, message: string): Buffer {
  return new PacketWriter(Packet.STATUS).uint32(id).uint32(code).string(message).string('').finish()
}

/** Returns an SSH_FXP_STATUS OK answer. */
export function okReply(id: number): Buffer {
  return statusReply(id, SftpStatus.OK, 'Success')
}

/** Returns an SSH_FXP_HANDLE answer. */
export function handleReply(id: number, handle: Buffer): Buffer {
  return new PacketWriter(Packet.HANDLE).uint32(id).string(handle).finish()
}

/** Returns an SSH_FXP_DATA answer. */
export function dataReply(id: number, data: Uint8Array): Buffer {
  return new PacketWriter(Packet.DATA).uint32(id).string(data).finish()
}

/** Returns an SSH_FXP_NAME answer. */
export function nameReply(id: number, entries: readonly NameEntry[]): Buffer {
  const w = new PacketWriter(Packet.NAME).uint32(id).uint32(entries.length)
  for (const e of entries) {
    w.string(e.filename).string(e.longname)
    if (e.stats === undefined) writeNoAttrs(w)
    else writeStats(w, e.stats)
  }
  return w.finish()
}

/** Returns an SSH_FXP_ATTRS answer. */
export function attrsReply(id: number, stats: Stats | BigIntStats): Buffer {
  return writeStats(new PacketWriter(Packet.ATTRS).uint32(id), stats).finish()
}

/** Returns an SSH_FXP_EXTENDED_REPLY answer of uint64 fields (statvfs, limits). */
export function extendedReply(id: number, fields: readonly (number | bigint)[]): Buffer {
  const w = new PacketWriter(Packet.EXTENDED_REPLY).uint32(id)
  for (const f of fields) w.uint64(f)
  return w.finish()
}
