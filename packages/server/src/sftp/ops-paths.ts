/**
 * Request handlers on paths: STAT, LSTAT, SETSTAT, REMOVE, MKDIR, RMDIR, REALPATH, RENAME,
 * READLINK, SYMLINK (draft-02 §6.5–6.10) and OpenSSH's posix-rename, hardlink, lsetstat,
 * expand-path and statvfs (PROTOCOL §4). Every one runs in the handler's path queue, resolving
 * its paths inside root at the moment it runs.
 */
import { link, lstat, mkdir, readlink, rename, rmdir, symlink, unlink } from 'node:fs/promises'
import { readAttrs } from './attrs.js'
import { applyToPath } from './apply-attrs.js'
import { assertWritable } from './context.js'
import type { RequestHandler, SessionContext } from './context.js'
import { attrsReply, nameReply, okReply } from './replies.js'
import { failure } from './status.js'
import { statvfsReply } from './statvfs.js'

const queued = (ctx: SessionContext, task: () => Promise<Buffer>): Promise<Buffer> => ctx.paths.run(task)

/** SSH_FXP_STAT: attributes, following symlinks (inside root). */
export const statPath: RequestHandler = async (id, r, ctx) => {
  const path = r.string()
  // The resolved path holds no symlink, so lstat is stat and cannot follow one planted since.
  return queued(ctx, async () => attrsReply(id, await lstat((await ctx.fs.resolve(path, 'follow')).real)))
}

/** SSH_FXP_LSTAT: attributes of the entry itself. */
export const lstatPath: RequestHandler = async (id, r, ctx) => {
  const path = r.string()
  return queued(ctx, async () => attrsReply(id, await lstat((await ctx.fs.resolve(path, 'nofollow')).real)))
}

/** SSH_FXP_SETSTAT: changes attributes, following symlinks (inside root). */
export const setstatPath: RequestHandler = async (id, r, ctx) => {
  const path = r.string()
  const attrs = readAttrs(r)
  assertWritable(ctx)
  return queued(ctx, async () => {
    await applyToPath((await ctx.fs.resolve(path, 'follow')).real, attrs)
    return okReply(id)
  })
}

/** lsetstat@openssh.com: changes attributes of the entry itself. */
export const lsetstatPath: RequestHandler = async (id, r, ctx) => {
  const path = r.string()
  const attrs = readAttrs(r)
  assertWritable(ctx)
  return queued(ctx, async () => {
    await applyToPath((await ctx.fs.resolveEntry(path)).real, attrs)
    return okReply(id)
  })
}

/** SSH_FXP_REMOVE: removes a file (a symlink itself, never its target). */
export const removePath: RequestHandler = async (id, r, ctx) => {
  const path = r.string()
  assertWritable(ctx)
  return queued(ctx, async () => {
    await unlink((await ctx.fs.resolveEntry(path)).real)
    return okReply(id)
  })
}

/** SSH_FXP_MKDIR: creates a directory (mode from the attributes, else 0777 less umask). */
export const mkdirPath: RequestHandler = async (id, r, ctx) => {
  const path = r.string()
  const attrs = readAttrs(r)
  assertWritable(ctx)
  return queued(ctx, async () => {
    await mkdir((await ctx.fs.resolveEntry(path)).real, attrs.permissions !== undefined ? attrs.permissions & 0o7777 : 0o777)
    return okReply(id)
  })
}

/** SSH_FXP_RMDIR: removes an empty directory. */
export const rmdirPath: RequestHandler = async (id, r, ctx) => {
  const path = r.string()
  assertWritable(ctx)
  return queued(ctx, async () => {
    await rmdir((await ctx.fs.resolveEntry(path)).real)
    return okReply(id)
  })
}

/** SSH_FXP_REALPATH: the canonical path as the client sees it (`.` is `/`, root). */
export const realpathPath: RequestHandler = async (id, r, ctx) => {
  const path = r.string()
  return queued(ctx, async () => {
    const { virtual } = await ctx.fs.resolve(path, 'follow')
    return nameReply(id, [{ filename: virtual, longname: virtual }])
  })
}

/**
 * expand-path@openssh.com: REALPATH that also expands a leading `~` or `~user`. The root is the only
 * home a confined client has, so every user's home is `/`.
 */
export const expandPath: RequestHandler = async (id, r, ctx) => {
  let path = r.string()
  if (path.startsWith('~')) {
    const slash = path.indexOf('/')
    path = slash === -1 ? '/' : path.slice(slash)
  }
  return queued(ctx, async () => {
    const { virtual } = await ctx.fs.resolve(path, 'follow')
    return nameReply(id, [{ filename: virtual, longname: virtual }])
  })
}

/** home-directory (draft-ietf-secsh-filexfer-extensions-00): every user's home is the root, `/`. */
export const homeDirectory: RequestHandler = async (id, r) => {
  r.string() // the user name: there is one home
  return nameReply(id, [{ filename: '/', longname: '/' }])
}

/** SSH_FXP_RENAME: renames, failing when the new name exists (draft-02 §6.5). */
export const renamePath: RequestHandler = async (id, r, ctx) => {
  const from = r.string()
  const to = r.string()
  assertWritable(ctx)
  return queued(ctx, async () => {
    const source = await ctx.fs.resolveEntry(from)
    const target = await ctx.fs.resolveEntry(to)
    const exists = await lstat(target.real).then(() => true, () => false)
    if (exists) throw failure('File exists')
    await rename(source.real, target.real)
    return okReply(id)
  })
}

/** posix-rename@openssh.com: rename(2), replacing an existing target. */
export const posixRenamePath: RequestHandler = async (id, r, ctx) => {
  const from = r.string()
  const to = r.string()
  assertWritable(ctx)
  return queued(ctx, async () => {
    await rename((await ctx.fs.resolveEntry(from)).real, (await ctx.fs.resolveEntry(to)).real)
    return okReply(id)
  })
}

/** hardlink@openssh.com: link(2) of an existing entry (not followed) to a new name. */
export const hardlinkPath: RequestHandler = async (id, r, ctx) => {
  const from = r.string()
  const to = r.string()
  assertWritable(ctx)
  return queued(ctx, async () => {
    await link((await ctx.fs.resolveEntry(from)).real, (await ctx.fs.resolveEntry(to)).real)
    return okReply(id)
  })
}

/** SSH_FXP_READLINK: a symlink's target, as stored. */
export const readlinkPath: RequestHandler = async (id, r, ctx) => {
  const path = r.string()
  return queued(ctx, async () => {
    const target = await readlink((await ctx.fs.resolveEntry(path)).real)
    return nameReply(id, [{ filename: target, longname: target }])
  })
}

/**
 * SSH_FXP_SYMLINK. OpenSSH's sftp and sftp-server send the target first and the link's path second,
 * the reverse of draft-02 §6.10 (OpenSSH PROTOCOL §3); every real client follows OpenSSH, and so do we.
 */
export const symlinkPath: RequestHandler = async (id, r, ctx) => {
  const target = r.string()
  const linkPath = r.string()
  assertWritable(ctx)
  return queued(ctx, async () => {
    const at = await ctx.fs.resolveEntry(linkPath)
    ctx.fs.checkSymlinkTarget(at, target)
    await symlink(target, at.real)
    return okReply(id)
  })
}

/** statvfs@openssh.com: file-system statistics of a path's file system. */
export const statvfsPath: RequestHandler = async (id, r, ctx) => {
  const path = r.string()
  return queued(ctx, async () => statvfsReply(id, (await ctx.fs.resolve(path, 'follow')).real, ctx.readOnly))
}
