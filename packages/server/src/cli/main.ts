#!/usr/bin/env node
/**
 * `x-sshd`: an SSH and SFTP server from the command line, over listen(). Prints
 * `listening on HOST:PORT` on stdout once ready; SIGTERM or SIGINT drains and exits 0; a bad
 * command line exits 2, another startup failure 1.
 *
 * @module
 */
import { readFileSync } from 'node:fs'
import { listen } from '../listen/ssh-server.js'
import { hashPassword } from '../passwords/scrypt-hash.js'
import { parseArgs, USAGE } from './args.js'
import type { CliOptions } from './args.js'
import { defaultStateDir, hostKeyLine, loadHostKeys } from './host-key.js'
import { cliListenOptions } from './listen-options.js'
import { readPassword } from './read-password.js'
import { UsageError } from './usage-error.js'

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

async function serve(cli: CliOptions): Promise<void> {
  const hostKeys = await loadHostKeys(cli.hostKeys, cli.stateDir ?? defaultStateDir())
  for (const key of hostKeys) process.stdout.write(`${hostKeyLine(key)}\n`)
  const server = await listen(await cliListenOptions(cli, hostKeys))
  const a = server.address()
  process.stdout.write(`listening on ${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}\n`)
  const stop = (): void => {
    process.off('SIGTERM', stop)
    process.off('SIGINT', stop)
    void server.close({ timeoutMs: cli.drainMs }).then(() => process.exit(0), () => process.exit(1))
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

async function main(argv: readonly string[]): Promise<void> {
  const command = parseArgs(argv)
  switch (command.command) {
    case 'help':
      process.stdout.write(USAGE)
      return
    case 'version':
      process.stdout.write(`x-sshd ${version()}\n`)
      return
    case 'hash-password': {
      const password = await readPassword()
      if (password === '') throw new UsageError('hash-password read an empty password')
      process.stdout.write(`${await hashPassword(password)}\n`)
      return
    }
    case 'serve':
      return serve(command)
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const usage = err instanceof UsageError
  process.stderr.write(`x-sshd: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exitCode = usage ? 2 : 1
})
