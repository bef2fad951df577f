/**
 * ProxyJump from ssh_config: `new Connection('inner')` reads `ProxyJump bastion` for that host
 * and builds the hop itself (its own ssh_config, host-key check and auth), as `ssh inner` would.
 * The hop is owned by the connection: closing it closes the bastion too.
 *
 * Embedded lab: `pnpm tsx --conditions=source examples/proxyjump-from-ssh-config.ts`
 * A real host:  `pnpm tsx --conditions=source examples/proxyjump-from-ssh-config.ts <alias with ProxyJump in ~/.ssh/config>`
 */
import { Connection } from '@x/connection'
import { exampleTarget } from './lib/target.js'

await using target = await exampleTarget('inner')
await using c = new Connection(target.host, target.options)

// Resolved offline, at construction, as `ssh -G` prints it.
console.log(`ssh_config for '${c.host}': hostname ${c.hostname}, port ${c.port}, user ${c.user}, proxyjump ${c.sshConfig['proxyjump'] ?? '(none)'}`)

const result = await c.run('echo "$(uname -n) ${LAB_HOST:+(lab host $LAB_HOST)}"')
console.log(`ran on: ${result.stdout.trim()}`)
for (const tunnel of target.lab?.bastion.tunnels ?? []) console.log(`the bastion's log: ${tunnel.user} opened direct-tcpip to ${tunnel.to}`)
