/**
 * The SFTP subsystem of an embedded lab host (SFTP v3, draft-ietf-secsh-filexfer-02) over ssh2's
 * server-side SFTP stream, backed by the real file system: relative paths start in the host's
 * home directory, as with sshd. Enough for put/get/stat/mkdir/rename/remove/readdir.
 */
import { open, stat, lstat, mkdir, readdir, rename, rm, rmdir, chmod, utimes, truncate, type FileHandle } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Stats } from 'node:fs'
import ssh2, { type Attributes, type SFTPWrapper } from 'ssh2'

const { STATUS_CODE, flagsToString } = ssh2.utils.sftp

type Handle = { readonly file: FileHandle } | { readonly dir: string; listed: boolean }

/** Serves SFTP requests on `sftp` until the channel closes, with `home` as the working directory. */
export function serveSftp(sftp: SFTPWrapper, home: string): void {
  const handles = new Map<number, Handle>()
  let nextId = 1
  const path = (p: string): string => resolve(home, p)
  const handleOf = (buf: Buffer): Handle | undefined => (buf.length === 4 ? handles.get(buf.readUInt32BE(0)) : undefined)
  const newHandle = (h: Handle): Buffer => {
    const id = nextId++
    handles.set(id, h)
    const buf = Buffer.alloc(4)
    buf.writeUInt32BE(id)
    return buf
  }
  const fail = (reqid: number, err: unknown): void => {
    const code = (err as NodeJS.ErrnoException).code
    sftp.status(reqid, code === 'ENOENT' ? STATUS_CODE.NO_SUCH_FILE : code === 'EACCES' || code === 'EPERM' ? STATUS_CODE.PERMISSION_DENIED : STATUS_CODE.FAILURE, String((err as Error).message))
  }
  const run = (reqid: number, work: () => Promise<void>): void => void work().catch((err: unknown) => fail(reqid, err))
  const ok = (reqid: number): void => void sftp.status(reqid, STATUS_CODE.OK)

  sftp.on('OPEN', (reqid, filename, flags, attrs) => run(reqid, async () => {
    const mode = flagsToString(flags)
    if (!mode) return void sftp.status(reqid, STATUS_CODE.OP_UNSUPPORTED)
    const file = await open(path(filename), mode, attrs.mode ?? 0o644)
    sftp.handle(reqid, newHandle({ file }))
  }))
  sftp.on('READ', (reqid, handle, offset, length) => run(reqid, async () => {
    const h = handleOf(handle)
    if (!h || !('file' in h)) return void sftp.status(reqid, STATUS_CODE.FAILURE, 'bad handle')
    const buf = Buffer.alloc(length)
    const { bytesRead } = await h.file.read(buf, 0, length, offset)
    if (bytesRead === 0) sftp.status(reqid, STATUS_CODE.EOF)
    else sftp.data(reqid, buf.subarray(0, bytesRead))
  }))
  sftp.on('WRITE', (reqid, handle, offset, data) => run(reqid, async () => {
    const h = handleOf(handle)
    if (!h || !('file' in h)) return void sftp.status(reqid, STATUS_CODE.FAILURE, 'bad handle')
    for (let done = 0; done < data.length; ) done += (await h.file.write(data, done, data.length - done, offset + done)).bytesWritten
    ok(reqid)
  }))
  sftp.on('CLOSE', (reqid, handle) => run(reqid, async () => {
    const h = handleOf(handle)
    if (!h) return void sftp.status(reqid, STATUS_CODE.FAILURE, 'bad handle')
    handles.delete(handle.readUInt32BE(0))
    if ('file' in h) await h.file.close()
    ok(reqid)
  }))
  sftp.on('FSTAT', (reqid, handle) => run(reqid, async () => {
    const h = handleOf(handle)
    if (!h || !('file' in h)) return void sftp.status(reqid, STATUS_CODE.FAILURE, 'bad handle')
    sftp.attrs(reqid, toAttrs(await h.file.stat()))
  }))
  sftp.on('STAT', (reqid, p) => run(reqid, async () => void sftp.attrs(reqid, toAttrs(await stat(path(p))))))
  sftp.on('LSTAT', (reqid, p) => run(reqid, async () => void sftp.attrs(reqid, toAttrs(await lstat(path(p))))))
  sftp.on('FSETSTAT', (reqid, handle, attrs) => run(reqid, async () => {
    const h = handleOf(handle)
    if (!h || !('file' in h)) return void sftp.status(reqid, STATUS_CODE.FAILURE, 'bad handle')
    if (attrs.mode !== undefined) await h.file.chmod(attrs.mode & 0o7777)
    if (attrs.size !== undefined) await h.file.truncate(attrs.size)
    if (attrs.atime !== undefined && attrs.mtime !== undefined) await h.file.utimes(attrs.atime, attrs.mtime)
    ok(reqid)
  }))
  sftp.on('SETSTAT', (reqid, p, attrs) => run(reqid, async () => {
    if (attrs.mode !== undefined) await chmod(path(p), attrs.mode & 0o7777)
    if (attrs.size !== undefined) await truncate(path(p), attrs.size)
    if (attrs.atime !== undefined && attrs.mtime !== undefined) await utimes(path(p), attrs.atime, attrs.mtime)
    ok(reqid)
  }))
  sftp.on('REALPATH', (reqid, p) => void sftp.name(reqid, [{ filename: path(p), longname: path(p), attrs: {} as Attributes }]))
  sftp.on('MKDIR', (reqid, p, attrs) => run(reqid, async () => void (await mkdir(path(p), attrs.mode ?? 0o755), ok(reqid))))
  sftp.on('RMDIR', (reqid, p) => run(reqid, async () => void (await rmdir(path(p)), ok(reqid))))
  sftp.on('REMOVE', (reqid, p) => run(reqid, async () => void (await rm(path(p)), ok(reqid))))
  sftp.on('RENAME', (reqid, from, to) => run(reqid, async () => {
    // SFTP v3 rename fails when the target exists (posix-rename@openssh.com is the one that replaces).
    if (await lstat(path(to)).then(() => true, () => false)) return void sftp.status(reqid, STATUS_CODE.FAILURE, 'target exists')
    await rename(path(from), path(to))
    ok(reqid)
  }))
  sftp.on('OPENDIR', (reqid, p) => run(reqid, async () => {
    if (!(await stat(path(p))).isDirectory()) return void sftp.status(reqid, STATUS_CODE.FAILURE, 'not a directory')
    sftp.handle(reqid, newHandle({ dir: path(p), listed: false }))
  }))
  sftp.on('READDIR', (reqid, handle) => run(reqid, async () => {
    const h = handleOf(handle)
    if (!h || !('dir' in h)) return void sftp.status(reqid, STATUS_CODE.FAILURE, 'bad handle')
    if (h.listed) return void sftp.status(reqid, STATUS_CODE.EOF)
    h.listed = true
    const names = await readdir(h.dir)
    const entries = await Promise.all(names.map(async (filename) => ({ filename, longname: filename, attrs: toAttrs(await lstat(resolve(h.dir, filename))) })))
    sftp.name(reqid, entries)
  }))
  // The client's EOF ends the session, as sftp-server exits when its stdin closes.
  sftp.on('end', () => sftp.end())
  sftp.on('close', () => {
    for (const h of handles.values()) if ('file' in h) void h.file.close().catch(() => {})
    handles.clear()
  })
}

function toAttrs(s: Stats): Attributes {
  return { mode: s.mode, uid: s.uid, gid: s.gid, size: s.size, atime: Math.floor(s.atimeMs / 1000), mtime: Math.floor(s.mtimeMs / 1000) }
}
