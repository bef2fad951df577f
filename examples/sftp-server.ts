/**
 * An SFTP server for one directory in a few lines (`listen` + `fsSftp`): the server a CI job needs
 * to test its uploads. Run as it is, it serves a fresh temp directory, puts and lists a file there
 * with a Connection, shows that the root cannot be left, and stops.
 *
 * Keep serving: `pnpm tsx --conditions=source examples/sftp-server.ts DIR [PORT]` serves DIR on
 * 127.0.0.1:PORT (default 2222) to the keys of ~/.ssh/authorized_keys until Ctrl-C, for any sftp client.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { homedir, tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { Connection, fixedHostKey } from '@x/connection'
import { AuthorizedKeys, fsSftp, listen } from '@x/server'
import { loadPrivateKey } from '@x/transport'
import { generateKeyPair } from './embedded/keys.js'

const [serveDir, servePort = '2222'] = process.argv.slice(2)
const hostPair = generateKeyPair('sftp-server example')
const hostKeys = [await loadPrivateKey(hostPair.privateKey)]

if (serveDir) {
  const server = await listen({
    port: Number(servePort), hostKeys, sftp: fsSftp({ root: serveDir }),
    auth: { authorizedKeys: await AuthorizedKeys.load(join(homedir(), '.ssh', 'authorized_keys')) },
  })
  const { address, port } = server.address()
  console.log(`serving ${serveDir} as / on ${address}:${port}; host key ${hostKeys[0]!.publicKey.fingerprint}`)
  console.log(`try: sftp -P ${port} -o StrictHostKeyChecking=accept-new ${userInfo().username}@${address}`)
  process.once('SIGINT', () => void server.close({ timeoutMs: 5_000 }))
} else {
  const root = await mkdtemp(join(tmpdir(), 'x-sftp-example-'))
  const work = await mkdtemp(join(tmpdir(), 'x-sftp-example-client-'))
  try {
    const client = generateKeyPair('ci-job')
    // The whole server: a host key, who may log in, and the directory served as /.
    await using server = await listen({ hostKeys, auth: { authorizedKeys: AuthorizedKeys.parse(client.publicLine) }, sftp: fsSftp({ root }) })
    const { port } = server.address()
    console.log(`SFTP server on 127.0.0.1:${port}, root ${root}`)

    await using c = new Connection(`ci@127.0.0.1:${port}`, {
      config: false,
      auth: { privateKeys: [client.privateKey], agent: false },
      hostKeys: { policy: fixedHostKey(hostPair.publicLine) },
    })
    await writeFile(join(work, 'report.txt'), 'build 42: ok\n')
    await c.put(join(work, 'report.txt'), '/report.txt')
    console.log(`put report.txt → the server's directory now holds: ${(await readdir(root)).join(', ')}`)
    const sftp = await c.sftp()
    console.log(`realpath('..') is ${await sftp.realpath('..')}: the root is the top`)
    try {
      await sftp.stat('/../../etc/passwd')
      console.log('stat /../../etc/passwd: found?!')
    } catch (err) {
      console.log(`stat /../../etc/passwd: ${(err as Error & { code?: string }).code} (root/etc/passwd does not exist)`)
    }
    console.log(`sessions: exec refused (not configured): ${await c.run('id', { warn: true }).then((r) => `exit code ${r.exitCode}`, (e: Error & { code?: string }) => `${e.name} ${e.code}: ${e.message}`)}`)
  } finally {
    await rm(root, { recursive: true, force: true })
    await rm(work, { recursive: true, force: true })
  }
}
