/** Request handlers on directories: OPENDIR and READDIR (draft-02 §6.7). */
import { opendir, lstat } from 'node:fs/promises'
import { join } from 'node:path'
import { longname } from './attrs.js'
import { READDIR_BATCH, SftpStatus } from './constants.js'
import type { RequestHandler } from './context.js'
import { handleReply, nameReply, statusReply } from './replies.js'
import type { NameEntry } from './replies.js'
import { failure, noSuchFile } from './status.js'

/** SSH_FXP_OPENDIR: opens a directory inside root for listing. */
export const openDir: RequestHandler = async (id, r, ctx) => {
  const path = r.string()
  if (!ctx.handles.hasRoom) throw failure('Too many open handles')
  const opened = await ctx.paths.run(async () => {
    const { real } = await ctx.fs.resolve(path, 'follow')
    const st = await lstat(real)
    if (!st.isDirectory()) throw noSuchFile('Not a directory')
    return { real, dir: await opendir(real, { bufferSize: READDIR_BATCH }) }
  })
  if (!ctx.handles.hasRoom) {
    await opened.dir.close()
    throw failure('Too many open handles')
  }
  return handleReply(id, ctx.handles.add({ kind: 'dir', dir: opened.dir, real: opened.real }))
}

/** SSH_FXP_READDIR: the next entries (at most 100) with lstat attributes; EOF when done. */
export const readDir: RequestHandler = async (id, r, ctx) => {
  const handle = r.bytes()
  return ctx.handles.use(handle, 'dir', async ({ dir, real }) => {
    const names: string[] = []
    while (names.length < READDIR_BATCH) {
      const entry = await dir.read()
      if (entry === null) break
      names.push(entry.name)
    }
    if (names.length === 0) return statusReply(id, SftpStatus.EOF, 'End of directory')
    const now = Date.now()
    const entries = await Promise.all(
      names.map(async (name): Promise<NameEntry | null> => {
        const st = await lstat(join(real, name)).catch(() => null) // gone since it was listed
        return st === null ? null : { filename: name, longname: longname(name, st, now), stats: st }
      }),
    )
    return nameReply(id, entries.filter((e): e is NameEntry => e !== null))
  }, true)
}
