/** A temporary tree for SFTP tests: `root` (served) beside `outside` holding a canary file. */
import { mkdtemp, mkdir, readdir, rm, stat, writeFile, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** The canary's content; any change to it or to its directory means an escape. */
export const CANARY = 'canary: nothing may read or write me\n'

/** What a test tree holds. */
export interface Tree {
  readonly base: string
  readonly root: string
  readonly outside: string
  readonly canary: string
  /** Throws unless the outside directory holds exactly the untouched canary. */
  assertCanaryIntact(): Promise<void>
  remove(): Promise<void>
}

/** Creates base/{root,outside/canary.txt}. */
export async function makeTree(): Promise<Tree> {
  const base = await mkdtemp(join(tmpdir(), 'xssh-sftp-'))
  const root = join(base, 'root')
  const outside = join(base, 'outside')
  const canary = join(outside, 'canary.txt')
  await mkdir(root)
  await mkdir(outside)
  await writeFile(canary, CANARY, { mode: 0o644 })
  const before = await stat(canary)
  return {
    base,
    root,
    outside,
    canary,
    async assertCanaryIntact() {
      const names = await readdir(outside)
      const now = await stat(canary)
      const text = await readFile(canary, 'utf8')
      const ok = names.length === 1 && names[0] === 'canary.txt' && text === CANARY && now.mode === before.mode
        && now.mtimeMs === before.mtimeMs && now.ctimeMs === before.ctimeMs && now.nlink === 1
      if (!ok) throw new Error(`outside of root changed: ${JSON.stringify({ names, text, mode: now.mode, nlink: now.nlink })}`)
    },
    remove: () => rm(base, { recursive: true, force: true }),
  }
}
