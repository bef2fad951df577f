import { makeTempDir, removeTempDir } from './temp-dir.js'

/**
 * Runs `body` with a fresh private directory to serve as a real client's HOME (its config,
 * known hosts and converted keys), removed afterwards whatever `body` did.
 */
export async function withClientHome<T>(prefix: string, body: (home: string) => Promise<T>): Promise<T> {
  const home = await makeTempDir(`${prefix}-home`)
  try {
    return await body(home)
  } finally {
    await removeTempDir(home)
  }
}
