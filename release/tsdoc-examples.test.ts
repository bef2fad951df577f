import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Connection, ConnectionLostError } from '@x/connection'
import { killConnections, startSshd, testUser, type SshServerHandle } from '@x/testbed'
import { Transport, knownHosts } from '@x/transport'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as examples from './snippets/tsdoc.js'
import { readRegion } from './support/regions.js'

// The TSDoc @example of put(), get() and Connection#waitClosed is code that runs: each is
// byte-identical to a region of release/snippets/tsdoc.ts, and each region runs here.
const root = fileURLToPath(new URL('..', import.meta.url))
const snippets = join(root, 'release/snippets/tsdoc.ts')

/** The ```ts block after `@example` in the TSDoc comment right above the line starting with `declaration`. */
async function exampleOf(file: string, declaration: string): Promise<string> {
  const lines = (await readFile(join(root, file), 'utf8')).split('\n')
  const at = lines.findIndex((line) => line.trimStart().startsWith(declaration))
  if (at < 0) throw new Error(`no '${declaration}' in ${file}`)
  let start = at - 1
  while (start >= 0 && lines[start]!.trim() !== '/**') start--
  const doc = lines.slice(start, at).map((line) => line.replace(/^\s*\*? ?/, ''))
  const open = doc.findIndex((line, i) => line === '```ts' && doc[i - 1]?.startsWith('@example'))
  const close = doc.findIndex((line, i) => i > open && line === '```')
  if (open < 0 || close < 0) throw new Error(`no @example ts block above '${declaration}' in ${file}`)
  return doc.slice(open + 1, close).join('\n') + '\n'
}

const EXAMPLES = [
  ['packages/connection/src/transfer/put.ts', 'export async function put(', 'put'],
  ['packages/connection/src/transfer/get.ts', 'export async function get(', 'get'],
  ['packages/connection/src/connection.ts', 'waitClosed(): Promise<SSHError | undefined> {', 'wait-closed'],
] as const

describe('TSDoc examples', () => {
  it.each(EXAMPLES)('the @example of %s (%s) is byte-identical to release/snippets/tsdoc.ts#%s', async (file, declaration, region) => {
    expect(await exampleOf(file, declaration)).toBe(await readRegion(snippets, region))
  })
})

let sshd: SshServerHandle
let work = ''
let cwd = ''
let home = ''
const connect = (): Connection => new Connection(`${sshd.user}@${sshd.host}:${sshd.port}`, {
  auth: { privateKeys: [sshd.clientKeys.ed25519.privatePath] },
  hostKeys: { knownHostsFiles: [sshd.knownHostsFile] },
})

beforeAll(async () => {
  sshd = await startSshd()
  work = await mkdtemp(join(tmpdir(), 'xssh-tsdoc-'))
  home = (await testUser()).home
  cwd = process.cwd()
  process.chdir(work) // the examples name files relative to the current directory
})

afterAll(async () => {
  if (cwd !== '') process.chdir(cwd)
  await sshd?.close()
  if (work !== '') await rm(work, { recursive: true, force: true })
  if (home !== '') await rm(join(home, 'releases'), { recursive: true, force: true })
})

describe('TSDoc examples run', () => {
  it('put uploads app.tar.gz into ~/releases/ (made by mkdirs), and get brings it back into downloads/', async () => {
    const data = randomBytes(100_000)
    await writeFile(join(work, 'app.tar.gz'), data)
    await rm(join(home, 'releases'), { recursive: true, force: true })
    const t = new Transport(`${sshd.host}:${sshd.port}`, { hostKeyVerifier: knownHosts({ files: [sshd.knownHostsFile] }) })
    try {
      await t.startClient()
      expect(await t.authPublicKey(sshd.user, sshd.clientKeys.ed25519.privateText)).toEqual([])
      expect(await examples.putExample(t)).toEqual({ remotePath: join(home, 'releases', 'app.tar.gz'), bytes: data.length })
      expect((await readFile(join(home, 'releases', 'app.tar.gz'))).equals(data)).toBe(true)
      await examples.getExample(t)
      expect((await readFile(join(work, 'downloads', 'app.tar.gz'))).equals(data)).toBe(true)
    } finally {
      await t.close()
    }
  })

  it('waitClosed resolves with undefined after close() and with ConnectionLostError when the session dies', async () => {
    const c = connect()
    const orderly = examples.waitClosedExample(c)
    await c.open()
    await c.close()
    expect(await orderly).toBeUndefined()

    const lost = examples.waitClosedExample(c)
    await c.open()
    await killConnections(sshd)
    expect(await lost).toBeInstanceOf(ConnectionLostError)
    await c.close()
  })
})
