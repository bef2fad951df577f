/**
 * Host-key policies, as OpenSSH's StrictHostKeyChecking: 'strict' refuses an unknown host,
 * 'accept-new' learns it (and writes known_hosts), and a changed key is refused under every
 * policy. Pinning one key is a verifier of your own. Each run uses a fresh known_hosts file.
 *
 * Embedded lab: `pnpm tsx --conditions=source examples/known-hosts-policies.ts` (the bastion)
 * A real host:  `pnpm tsx --conditions=source examples/known-hosts-policies.ts user@host`
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Connection, HostKeyError, fixedHostKey, type ConnectionHostKeyOptions } from '@x/connection'
import { generateKeyPair } from './embedded/keys.js'
import { exampleTarget } from './lib/target.js'

await using target = await exampleTarget('bastion')
const dir = await mkdtemp(join(tmpdir(), 'x-ssh-known-hosts-'))
const file = join(dir, 'known_hosts')

/** Connects with `hostKeys` and reports the outcome in one line. */
async function tryPolicy(label: string, hostKeys: ConnectionHostKeyOptions): Promise<void> {
  await using c = new Connection(target.host, { ...target.options, hostKeys })
  try {
    await c.open()
    console.log(`${label}: connected (host key ${c.transport?.remoteServerKey?.fingerprint})`)
  } catch (err) {
    if (!(err instanceof HostKeyError)) throw err
    console.log(`${label}: ${err.name} reason '${err.reason}' for ${err.host}:${err.port}`)
  }
}

try {
  await writeFile(file, '')
  await tryPolicy("1. 'strict', host not in known_hosts", { knownHostsFiles: [file], policy: 'strict' })
  await tryPolicy("2. 'accept-new', host not in known_hosts", { knownHostsFiles: [file], policy: 'accept-new' })
  const learnt = (await readFile(file, 'utf8')).trim()
  console.log(`   known_hosts now holds: ${learnt.slice(0, 60)}…`)
  await tryPolicy("3. 'strict', with the learnt entry", { knownHostsFiles: [file], policy: 'strict' })

  // The same host name with another key: what a reinstalled server, or a man in the middle, looks like.
  const [hostPattern = '', keyLine = ''] = [learnt.split(' ')[0], learnt.split(' ').slice(1).join(' ')]
  await writeFile(file, `${hostPattern} ${generateKeyPair().publicLine}\n`)
  await tryPolicy("4. 'accept-new', but known_hosts has another key", { knownHostsFiles: [file], policy: 'accept-new' })

  // Pinning: accept exactly one key, whatever known_hosts says.
  await tryPolicy('5. a pinned key (fixedHostKey)', { policy: fixedHostKey(keyLine) })
} finally {
  await rm(dir, { recursive: true, force: true })
}
