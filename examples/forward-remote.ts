/**
 * A remote port forward (`ssh -R`): the server listens on its loopback and relays each
 * connection back here, to a service of this machine: curl, run on the server, reaches it.
 *
 * Embedded lab: `pnpm tsx --conditions=source examples/forward-remote.ts`
 * A real host:  `pnpm tsx --conditions=source examples/forward-remote.ts user@host`
 */
import { createServer } from 'node:http'
import { once } from 'node:events'
import { Connection } from '@x/connection'
import { exampleTarget } from './lib/target.js'

// A service that exists only on this machine.
const local = createServer((req, res) => res.end(`hello from the machine that ran the example (${req.url})\n`))
local.listen(0, '127.0.0.1')
await once(local, 'listening')
const localPort = (local.address() as { port: number }).port

try {
  await using target = await exampleTarget('inner')
  await using ssh = new Connection(target.host, target.options)

  // remotePort 0 (the default) lets the server pick: read it from rf.port.
  await using rf = await ssh.forwardRemote({ localPort })
  console.log(`the server listens on ${rf.host}:${rf.port} → here ${rf.localHost}:${rf.localPort} (ssh -R ${rf.port}:127.0.0.1:${localPort})`)

  if ((await ssh.run('command -v curl', { warn: true })).ok) {
    const result = await ssh.run(`curl -sS http://127.0.0.1:${rf.port}/asked-by-curl-on-the-server`)
    console.log(`curl on the server: ${result.stdout.trim()}`)
  } else {
    console.error('this example runs curl on the server, and the server has no curl')
    process.exitCode = 1
  }
} finally {
  local.close()
}
