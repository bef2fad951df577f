import { makeTempDir, removeTempDir } from './temp-dir.js'

/** Holds a private scratch directory for a client's local files; removed on dispose. */
export interface ClientScratch {
  readonly dir: string
  [Symbol.asyncDispose](): Promise<void>
}

/** Makes a private (0700) scratch directory for files a real client reads or writes locally. */
export async function makeClientScratch(prefix: string): Promise<ClientScratch> {
  const dir = await makeTempDir(`${prefix}-scratch`)
  return { dir, [Symbol.asyncDispose]: () => removeTempDir(dir) }
}
