/**
 * A local port forward (`ssh -L`): a port on this machine whose connections the server relays
 * to a host:port it can reach. Anything that speaks TCP can use it; here, fetch().
 *
 * Embedded lab: `pnpm tsx --conditions=source examples/forward-local.ts` (web.lab:80 behind inner.lab)
 * A real host:  `pnpm tsx --conditions=source examples/forward-local.ts user@host 127.0.0.1:8080`
 */
import { Connection } from '@x/connection'
import { exampleTarget } from './lib/target.js'

await using target = await exampleTarget('inner')
const [remoteHost = 'web.lab', remotePort = '80'] = (target.args[0] ?? 'web.lab:80').split(':')
await using ssh = new Connection(target.host, target.options)

// localPort 0 (the default) lets the system pick a free port: read it from fwd.port.
await using fwd = await ssh.forwardLocal({ remoteHost, remotePort: Number(remotePort) })
console.log(`forwarding ${fwd.host}:${fwd.port} → ${fwd.remoteHost}:${fwd.remotePort} (ssh -L ${fwd.port}:${remoteHost}:${remotePort} ${target.host})`)

const responses = await Promise.all([1, 2, 3].map((n) => fetch(`http://${fwd.host}:${fwd.port}/request-${n}`, { headers: { host: remoteHost } })))
for (const res of responses) console.log(`fetch: ${res.status} ${(await res.text()).trim()}`)
