import { mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isProcessAlive } from './proc.js'
import { removeTempDirOnExit } from './temp-dir.js'

/**
 * Names the environment variable holding a key cache directory shared by every process of
 * one test run; the vitest globalSetup sets it before the workers start.
 */
export const KEY_CACHE_ENV = 'XSSH_TESTBED_CACHE_DIR'

const PREFIX = 'xssh-cache-'
let ownDir: Promise<string> | undefined

/**
 * Returns the directory where generated keys are cached: the run's shared directory when
 * {@link KEY_CACHE_ENV} names one, else a private directory of this process, removed when
 * it exits (and swept by a later process if it was killed first).
 */
export function keyCacheDir(): Promise<string> {
  const shared = process.env[KEY_CACHE_ENV]
  if (shared && existsSync(shared)) return Promise.resolve(shared)
  ownDir ??= makeKeyCacheDir().then((dir) => {
    removeTempDirOnExit(dir)
    return dir
  })
  return ownDir
}

/**
 * Creates an empty key cache directory named after this process, first removing those of
 * processes that died without cleaning up (a run killed by a timeout, say).
 */
export async function makeKeyCacheDir(): Promise<string> {
  await sweepDeadCaches()
  return mkdtemp(join(tmpdir(), `${PREFIX}${process.pid}-`))
}

/**
 * Returns the JSON value cached under `name`, or makes it with `make(workDir)` and caches it.
 *
 * `make` gets a fresh subdirectory of its own, and the manifest appears by atomic rename:
 * processes that race on an empty cache each make a valid value and the last one is kept.
 */
export async function cachedJson<T>(name: string, make: (workDir: string) => Promise<T>): Promise<T> {
  const dir = await keyCacheDir()
  const manifest = join(dir, `${name}.json`)
  const existing = await readFile(manifest, 'utf8').catch(() => undefined)
  if (existing !== undefined) return JSON.parse(existing) as T
  const workDir = await mkdtemp(join(dir, `${name}-`))
  const value = await make(workDir)
  const tmp = `${manifest}.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify(value), { mode: 0o600 })
  await rename(tmp, manifest)
  return value
}

/** Removes private caches left by processes that were killed before their 'exit' ran. */
async function sweepDeadCaches(): Promise<void> {
  const names = await readdir(tmpdir()).catch(() => [] as string[])
  for (const name of names) {
    const pid = Number(/^xssh-cache-(\d+)-/.exec(name)?.[1])
    if (pid > 0 && pid !== process.pid && !isProcessAlive(pid)) {
      await rm(join(tmpdir(), name), { recursive: true, force: true }).catch(() => {})
    }
  }
}
