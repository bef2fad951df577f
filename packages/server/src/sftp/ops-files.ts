/**
 * Request handlers on open files: OPEN, CLOSE, READ, WRITE, FSTAT, FSETSTAT (draft-02 §6.3–6.4,
 * §6.8–6.9) and OpenSSH's fsync@openssh.com, fstatvfs@openssh.com and copy-data (PROTOCOL §4).
 */
import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import { readAttrs } from './attrs.js'
import { MAX_IO_LENGTH, OpenFlag, SftpStatus } from './constants.js'
import { assertWritable } from './context.js'
import type { RequestHandler } from './context.js'
import { dataReply, handleReply, okReply, statusReply, attrsReply } from './replies.js'
import { applyToHandle } from './apply-attrs.js'
import { SftpStatusError, denied, failure } from './status.js'
import { statvfsReply } from './statvfs.js'

const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_EXCL, O_APPEND, O_NOFOLLOW, O_NONBLOCK } = constants

/** Maps SSH_FXF_* pflags to open(2) flags; the final component is never followed after resolution. */
function openFlags(pflags: number): number {
  const read = (pflags & OpenFlag.READ) !== 0
  const write = (pflags & (OpenFlag.WRITE | OpenFlag.APPEND)) !== 0
  let flags = read && write ? O_RDWR : write ? O_WRONLY : O_RDONLY
  if (pflags & OpenFlag.CREAT) flags |= O_CREAT
  if (pflags & OpenFlag.TRUNC) flags |= O_TRUNC
  if (pflags & OpenFlag.EXCL) flags |= O_EXCL
  if (pflags & OpenFlag.APPEND) flags |= O_APPEND
  // O_NONBLOCK: opening a FIFO must not park a thread-pool thread forever.
  return flags | O_NOFOLLOW | O_NONBLOCK
}

/** SSH_FXP_OPEN: opens (and maybe creates) a file inside root. */
export const openFile: RequestHandler = async (id, r, ctx) => {
  const path = r.string()
  const pflags = r.uint32()
  const attrs = readAttrs(r)
  const writes = (pflags & (OpenFlag.WRITE | OpenFlag.APPEND | OpenFlag.CREAT | OpenFlag.TRUNC)) !== 0
  if (writes) assertWritable(ctx)
  if (!ctx.handles.hasRoom) throw failure('Too many open handles')
  const mode = attrs.permissions !== undefined ? attrs.permissions & 0o7777 : 0o666
  const file = await ctx.paths.run(async () => {
    const resolved = await ctx.fs.resolve(path, 'follow')
    return { real: resolved.real, file: await open(resolved.real, openFlags(pflags), mode) }
  })
  if (!ctx.handles.hasRoom) {
    // Pipelined OPENs may all pass the first check while queued behind each other.
    await file.file.close()
    throw failure('Too many open handles')
  }
  const handle = ctx.handles.add({
    kind: 'file',
    file: file.file,
    real: file.real,
    append: (pflags & OpenFlag.APPEND) !== 0,
    writable: (pflags & (OpenFlag.WRITE | OpenFlag.APPEND)) !== 0,
  })
  return handleReply(id, handle)
}

/** SSH_FXP_CLOSE: closes a file or directory handle after its pipelined operations. */
export const closeHandle: RequestHandler = async (id, r, ctx) => {
  await ctx.handles.close(r.bytes())
  return okReply(id)
}

/** SSH_FXP_READ: reads up to the limit from an offset; EOF status at the end of the file. */
export const readFile: RequestHandler = async (id, r, ctx) => {
  const handle = r.bytes()
  const offset = r.uint64()
  const length = Math.min(r.uint32(), MAX_IO_LENGTH)
  return ctx.handles.use(handle, 'file', async ({ file }) => {
    const buf = Buffer.allocUnsafe(length)
    const { bytesRead } = await file.read(buf, 0, length, offset)
    if (bytesRead === 0 && length > 0) return statusReply(id, SftpStatus.EOF, 'End of file')
    return dataReply(id, buf.subarray(0, bytesRead))
  })
}

/** SSH_FXP_WRITE: writes data at an offset (at the end for a file opened with APPEND). */
export const writeFile: RequestHandler = async (id, r, ctx) => {
  const handle = r.bytes()
  const offset = r.uint64()
  const data = r.bytes()
  assertWritable(ctx)
  return ctx.handles.use(handle, 'file', async ({ file, writable, append }) => {
    if (!writable) throw denied('Handle not open for writing')
    let done = 0
    while (done < data.length) {
      const { bytesWritten } = await file.write(data, done, data.length - done, append ? null : offset + done)
      done += bytesWritten
    }
    return okReply(id)
  })
}

/** SSH_FXP_FSTAT: the attributes of an open file. */
export const fstatFile: RequestHandler = async (id, r, ctx) => {
  const handle = r.bytes()
  return ctx.handles.use(handle, 'file', async ({ file }) => attrsReply(id, await file.stat()), true)
}

/** SSH_FXP_FSETSTAT: changes size, mode, owner or times of an open file. */
export const fsetstatFile: RequestHandler = async (id, r, ctx) => {
  const handle = r.bytes()
  const attrs = readAttrs(r)
  assertWritable(ctx)
  return ctx.handles.use(handle, 'file', async ({ file }) => {
    await applyToHandle(file, attrs)
    return okReply(id)
  }, true)
}

/** fsync@openssh.com: flushes an open file to stable storage. */
export const fsyncFile: RequestHandler = async (id, r, ctx) => {
  const handle = r.bytes()
  return ctx.handles.use(handle, 'file', async ({ file }) => {
    await file.sync()
    return okReply(id)
  }, true)
}

/** fstatvfs@openssh.com: file-system statistics of the file system holding an open file. */
export const fstatvfsFile: RequestHandler = async (id, r, ctx) => {
  const handle = r.bytes()
  return ctx.handles.use(handle, 'file', async ({ real }) => statvfsReply(id, real, ctx.readOnly))
}

const COPY_CHUNK = 64 * 1024

/**
 * copy-data (OpenSSH PROTOCOL §4.10): copies `length` bytes (0: to end of file) between two open
 * files, or within one when the ranges do not overlap.
 */
export const copyData: RequestHandler = async (id, r, ctx) => {
  const from = r.bytes()
  const readOffset = r.uint64()
  const length = r.uint64()
  const to = r.bytes()
  const writeOffset = r.uint64()
  assertWritable(ctx)
  if (from.equals(to) && (length === 0 || (writeOffset < readOffset + length && readOffset < writeOffset + length))) {
    throw failure('Overlapping copy')
  }
  return ctx.handles.use(from, 'file', (src) =>
    ctx.handles.use(to, 'file', async (dst) => {
      if (!dst.writable) throw denied('Handle not open for writing')
      const buf = Buffer.allocUnsafe(COPY_CHUNK)
      let copied = 0
      while (length === 0 || copied < length) {
        const want = length === 0 ? COPY_CHUNK : Math.min(COPY_CHUNK, length - copied)
        const { bytesRead } = await src.file.read(buf, 0, want, readOffset + copied)
        if (bytesRead === 0) break
        let done = 0
        while (done < bytesRead) {
          const pos = dst.append ? null : writeOffset + copied + done
          done += (await dst.file.write(buf, done, bytesRead - done, pos)).bytesWritten
        }
        copied += bytesRead
      }
      if (length !== 0 && copied < length) throw new SftpStatusError(SftpStatus.EOF, 'End of file')
      return okReply(id)
    }, !from.equals(to)), true)
}
