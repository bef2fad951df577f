#!/usr/bin/env node
/**
 * `x-ssh-router`: the router's command.
 * - `serve --config FILE`: serves every `listen` address of FILE, printing `listening on
 *   HOST:PORT` for each once ready; SIGHUP reloads FILE (a bad one is refused, the old config
 *   stays); SIGTERM or SIGINT stops accepting, lets live sessions finish for `--drain-ms`, and exits 0.
 * - `check --config FILE`: validates FILE and prints the effective routes (exit 0), or prints
 *   `file:line:column: what is wrong` on stderr and exits 1.
 * A bad command line exits 2.
 *
 * @module
 */
import { lineLogger } from '@x/server'
import { loadRouterConfig } from '../config/router-config.js'
import { RouterConfigError } from '../config/config-error.js'
import { ConfiguredRouter } from '../service/configured-router.js'
import { parseArgs, USAGE, UsageError, type CliCommand } from './args.js'
import { describeConfig } from './describe-config.js'

function say(line: string): void {
  process.stderr.write(`x-ssh-router: ${line}\n`)
}

async function serve(cmd: Extract<CliCommand, { command: 'serve' }>): Promise<number> {
  const log = cmd.log === 'none' ? undefined : lineLogger<{ readonly event: string }>(cmd.log)
  const service = await ConfiguredRouter.start(cmd.config, { log })
  for (const l of service.listeners) {
    const host = l.bound.address.includes(':') ? `[${l.bound.address}]` : l.bound.address
    process.stdout.write(`listening on ${host}:${l.bound.port}\n`)
  }
  return new Promise<number>((resolve) => {
    const onHup = (): void => {
      service.reload().then(
        () => say(`reloaded ${cmd.config}`),
        (err: unknown) => say(`reload refused, the old config stays: ${err instanceof Error ? err.message : String(err)}`),
      )
    }
    const onStop = (): void => {
      process.off('SIGHUP', onHup)
      process.off('SIGTERM', onStop)
      process.off('SIGINT', onStop)
      service.close({ timeoutMs: cmd.drainMs }).then(() => resolve(0), () => resolve(1))
    }
    process.on('SIGHUP', onHup)
    process.on('SIGTERM', onStop)
    process.on('SIGINT', onStop)
  })
}

async function main(argv: readonly string[]): Promise<number> {
  let cmd: CliCommand
  try {
    cmd = parseArgs(argv)
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    process.stderr.write(`x-ssh-router: ${err.message}\n${USAGE}`)
    return 2
  }
  if (cmd.command === 'help') {
    process.stdout.write(USAGE)
    return 0
  }
  try {
    if (cmd.command === 'check') {
      process.stdout.write(describeConfig(await loadRouterConfig(cmd.config)))
      return 0
    }
    return await serve(cmd)
  } catch (err) {
    if (err instanceof RouterConfigError) {
      say(err.message)
      return 1
    }
    throw err
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    // Typed errors carry no secret in their message (DESIGN.md §3); the code helps scripts.
    const code = typeof err === 'object' && err !== null && 'code' in err ? ` (${String(err.code)})` : ''
    say(`${err instanceof Error ? err.message : String(err)}${code}`)
    process.exitCode = 1
  },
)
