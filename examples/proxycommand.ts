/**
 * ProxyCommand: reach a host through any program whose stdin/stdout carry the SSH connection,
 * here OpenSSH's own `ssh -W %h:%p bastion` (Fabric's `gateway='ssh -W …'`). The command runs in
 * its own process group and is reaped on close; when it fails, ProxyCommandError says how.
 *
 * Embedded lab: `pnpm tsx --conditions=source examples/proxycommand.ts` (needs OpenSSH's `ssh`)
 * A real host:  `pnpm tsx --conditions=source examples/proxycommand.ts user@target 'ssh -W %h:%p bastion'`
 */
import { Connection, ProxyCommandError } from '@x/connection'
import { exampleTarget } from './lib/target.js'

// inner.lab here, not the alias 'inner': that one has ProxyJump, and both would be a GatewayConflictError.
await using target = await exampleTarget('inner.lab')
const command = target.args[0] ?? `ssh -F ${target.lab?.configFile} -W %h:%p bastion`

{
  await using c = new Connection(target.host, { ...target.options, gateway: command })
  const result = await c.run('echo "connected to $(uname -n) ${LAB_HOST:+(lab host $LAB_HOST)}"')
  console.log(`through '${command}': ${result.stdout.trim()}`)
}

// A ProxyCommand that fails: the error carries its exit code and the end of its stderr.
await using broken = new Connection(target.host, { ...target.options, gateway: "sh -c 'echo no route to %h >&2; exit 7'" })
try {
  await broken.open()
  throw new Error('expected a ProxyCommandError')
} catch (err) {
  if (!(err instanceof ProxyCommandError)) throw err
  console.log(`${err.name} ${err.code}: exit code ${err.exitCode}, stderr: ${err.stderrTail.trim()}`)
}
