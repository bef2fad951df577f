/**
 * run() and sudo(), Fabric's two verbs: output, exit codes, warn, live output, and a command run
 * as root through sudo, which answers sudo's prompt with the password.
 *
 * Embedded lab: `pnpm tsx --conditions=source examples/run-and-sudo.ts`
 * A real host:  `SUDO_PASSWORD=… pnpm tsx --conditions=source examples/run-and-sudo.ts user@host`
 */
import { Connection, UnexpectedExitError } from '@x/connection'
import { exampleTarget } from './lib/target.js'

await using target = await exampleTarget()
await using c = new Connection(target.host, target.options)

const result = await c.run('uname -sr')
console.log(`run: ${result.stdout.trim()} (exit code ${result.exitCode})`)

// A non-zero exit rejects with UnexpectedExitError, which carries the Result…
try {
  await c.run('ls /no/such/dir')
} catch (err) {
  if (!(err instanceof UnexpectedExitError)) throw err
  console.log(`run failed: exit code ${err.result.exitCode}, stderr: ${err.result.stderr.trim()}`)
}
// …unless `warn: true`, which resolves with it.
const warned = await c.run('exit 3', { warn: true })
console.log(`run with warn: ok=${warned.ok}, exit code ${warned.exitCode}`)

// Output can be watched as it arrives.
await c.run('for i in 1 2 3; do echo "tick $i"; sleep 0.1; done', { onStdout: (chunk) => process.stdout.write(`live: ${chunk}`) })

// sudo runs the real sudo binary of the host, with a prompt marker unique to this call.
const password = process.env['SUDO_PASSWORD']
const hasSudo = (await c.run('command -v sudo', { warn: true })).ok
const isRoot = (await c.run('id -u')).stdout.trim() === '0'
if (!hasSudo) {
  console.log('sudo: not installed on this host, so there is nothing to show')
} else if (!isRoot && password === undefined) {
  console.log(`sudo: ${c.user} would be asked for a password; run again with SUDO_PASSWORD=… to see sudo()`)
} else {
  const elevated = await c.sudo('id -un', password === undefined ? {} : { password })
  console.log(`sudo: ran as ${elevated.stdout.trim()}${isRoot ? ` (commands there already run as uid 0, so sudo asked for no password)` : ''}`)
}
