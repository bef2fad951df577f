import { afterAll, beforeAll, it } from 'vitest'
import type { ClientTarget } from './client-target.js'

/** Names one directory twice: as the server's SFTP shows it, and on this machine's disk. */
export interface SftpDir {
  /** The path an SFTP client gives the server (for a confined server, inside its root). */
  readonly remote: string
  /** The same directory as the test reads it on disk. */
  readonly local: string
  /** Removes the directory with everything in it. */
  [Symbol.asyncDispose](): Promise<void>
}

/**
 * Describes the server under test as the shared client scenarios take it: OpenSSH's sshd as
 * the oracle in @x/testbed's own tests, our `listen()` in @x/server's.
 */
export interface ScenarioServer {
  /** The server as the real-client runners take it. */
  readonly target: ClientTarget
  /** Makes a fresh directory named after `name` that the login user can write in. */
  sftpDir(name: string): Promise<SftpDir>
}

/** Holds one real-client scenario: its test name and its body, run against any server. */
export interface ClientScenario {
  readonly name: string
  /** Runs the scenario's clients against `server` and asserts what they saw. */
  run(server: ScenarioServer): Promise<void>
}

/**
 * Starts a server with `start` before the tests of the enclosing `describe` block and closes
 * it after them; the returned function gives the running server to those tests.
 *
 * @throws Error (from the returned function) when called before the server has started.
 */
export function useScenarioServer<S extends ScenarioServer & { close(): Promise<void> }>(
  start: () => Promise<S>,
): () => S {
  let server: S | undefined
  beforeAll(async () => {
    server = await start()
  })
  afterAll(() => server?.close())
  return () => {
    if (server === undefined) throw new Error('the scenario server has not started')
    return server
  }
}

/** Registers one test per scenario, each run against the server `server()` returns then. */
export function itEachScenario(scenarios: readonly ClientScenario[], server: () => ScenarioServer): void {
  for (const scenario of scenarios) it(scenario.name, () => scenario.run(server()))
}
