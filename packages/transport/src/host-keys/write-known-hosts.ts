/**
 * Writes known_hosts files: whole-file atomic replacement, single-write appends, and
 * `ssh-keygen -H` hashing of lines.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, open, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { hashHostName } from './host-pattern.js'
import type { KnownHostsEntry } from './known-hosts-line.js'

/**
 * Returns `text` with its host names hashed as `ssh-keygen -H` does (ssh-keygen.c
 * known_hosts_hash): one line per comma-separated name, lower-cased. Lines with a marker, an
 * already hashed field, or a wildcard/negation (`*?!`) stay as they are.
 */
export function hashedLines(text: string, entry: KnownHostsEntry): string[] {
  if (entry.marker !== 'none' || entry.salt !== undefined || /[*?!]/.test(entry.hosts)) return [text]
  const out: string[] = []
  for (const name of entry.hosts.split(',')) {
    if (name === '') break // strsep loop in ssh-keygen stops at the first empty name
    out.push(`${hashHostName(name.replace(/[A-Z]+/g, (m) => m.toLowerCase()))} ${entry.rest}`)
  }
  return out
}

/** Creates the parent directory of `file` (0700, as OpenSSH creates ~/.ssh) when missing. */
async function ensureDir(file: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 })
}

/**
 * Replaces `file` with `content` atomically: writes and fsyncs a temporary file next to it
 * (keeping the old file's permissions, 0600 for a new one), then renames it over `file`.
 *
 * @throws the `fs` error; the temporary file is removed and `file` is left untouched.
 */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  await ensureDir(file)
  const mode = await stat(file).then(
    (s) => s.mode & 0o777,
    () => 0o600,
  )
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    const handle = await open(tmp, 'wx', mode)
    try {
      await handle.chmod(mode) // open() applied the umask
      await handle.writeFile(content, 'utf8')
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(tmp, file)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
}

/**
 * Appends one line to `file` (created 0600 with its directory when missing) in a single
 * O_APPEND write, so concurrent writers never interleave inside a line. A newline is put in
 * front when the file does not end with one.
 *
 * @throws the `fs` error.
 */
export async function appendLine(file: string, line: string): Promise<void> {
  await ensureDir(file)
  const handle = await open(file, 'a+', 0o600)
  try {
    const { size } = await handle.stat()
    let prefix = ''
    if (size > 0) {
      const last = Buffer.alloc(1)
      await handle.read(last, 0, 1, size - 1)
      if (last[0] !== 0x0a) prefix = '\n'
    }
    const data = Buffer.from(`${prefix}${line}\n`, 'utf8')
    const { bytesWritten } = await handle.write(data, 0, data.length)
    if (bytesWritten !== data.length) throw new Error(`short write to ${file}`)
  } finally {
    await handle.close()
  }
}
