// Test-only: runs the x-sshd CLI from source under tsx, as `pnpm x-sshd` does.
import { fileURLToPath } from 'node:url'
import { sourceCli } from '@x/testbed'
export type { CliProcess } from '@x/testbed'

const cli = sourceCli(fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url)), 'x-sshd')

/** The argv (node first) that runs `x-sshd ...args` from source. */
export const cliArgv = cli.argv
/** Spawns `x-sshd ...args`; disposing it kills it (SIGKILL) if still running and waits for the exit. */
export const spawnCli = cli.spawn
/** Runs `x-sshd ...args` to its end with `input` on stdin (bounded) and returns what it printed. */
export const runCli = cli.run
