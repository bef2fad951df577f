/**
 * A git-style service: one account (`git@`), one forced command per key in authorized_keys, so
 * the key decides who you are and the command you send is only an argument — as GitHub's and
 * Gitolite's sshds do. Run as it is, it starts the service and calls it as alice and as bob.
 *
 * `pnpm tsx --conditions=source examples/git-style-service.ts`
 */
import { Connection, fixedHostKey } from '@x/connection'
import { AuthorizedKeys, listen } from '@x/server'
import { loadPrivateKey } from '@x/transport'
import { generateKeyPair } from './embedded/keys.js'

const repos: Record<string, readonly string[]> = { alice: ['site.git', 'tools.git'], bob: ['tools.git'] }
const host = generateKeyPair('git-style service')
const alice = generateKeyPair('alice')
const bob = generateKeyPair('bob')

// `restrict`: no pty, no forwarding, no agent; `command=`: runs instead of what the client asks.
const authorizedKeys = AuthorizedKeys.parse([
  `restrict,command="serve alice" ${alice.publicLine}`,
  `restrict,command="serve bob" ${bob.publicLine}`,
].join('\n'))

await using server = await listen({
  hostKeys: [await loadPrivateKey(host.privateKey)],
  auth: { authorizedKeys },
  exec: (channel, { command, originalCommand }) => {
    const user = command!.split(' ')[1]! // from the key's forced command, never from the client
    const [verb, repo] = (originalCommand ?? '').split(/\s+/)
    if (verb === 'list') return void channel.end(`${repos[user]!.join('\n')}\n`)
    if (verb === 'clone' && repo && repos[user]!.includes(repo)) return void channel.end(`${user} may clone ${repo}\n`)
    channel.stderr.write(`${user}: no access to ${JSON.stringify(originalCommand ?? '')}\n`)
    channel.exit(128)
  },
})
const { port } = server.address()
console.log(`git-style service on 127.0.0.1:${port}`)

for (const [name, key] of [['alice', alice], ['bob', bob]] as const) {
  await using c = new Connection(`git@127.0.0.1:${port}`, {
    config: false,
    auth: { privateKeys: [key.privateKey], agent: false },
    hostKeys: { policy: fixedHostKey(host.publicLine) },
  })
  console.log(`${name}: list → ${(await c.run('list')).stdout.trim().split('\n').join(', ')}`)
  const clone = await c.run('clone site.git', { warn: true })
  console.log(`${name}: clone site.git → exit ${clone.exitCode}: ${(clone.stdout || clone.stderr).trim()}`)
  const tunnel = await c.openSocket('127.0.0.1', port).then((s) => (s.destroy(), 'opened?!'), (e: Error & { code?: string }) => `refused (${e.code})`)
  console.log(`${name}: a tunnel through the service → ${tunnel}`)
}
