/**
 * Decides what an example talks to: the host named on its command line (your ssh_config,
 * known_hosts, keys and agent, as `ssh` would use them), or else the embedded lab.
 */
import type { ConnectionOptions } from '@x/connection'
import { startLab, type Lab, type LabOptions } from '../embedded/lab.js'

/** What an example connects to. */
export interface ExampleTarget extends AsyncDisposable {
  /** The first argument of `new Connection()`. */
  readonly host: string
  /** The options for `new Connection()`: the lab's ssh_config, or nothing special for a real host. */
  readonly options: ConnectionOptions
  /** The lab, when no host was given. */
  readonly lab: Lab | undefined
  /** More command-line arguments after the host. */
  readonly args: readonly string[]
}

/**
 * Returns the host given as the first command-line argument (with `SSH_PASSWORD` from the
 * environment as its password, if set), or starts the lab and returns its `labHost`.
 */
export async function exampleTarget(labHost = 'inner', labOptions: LabOptions = {}): Promise<ExampleTarget> {
  const [host, ...args] = process.argv.slice(2)
  if (host !== undefined) {
    const password = process.env['SSH_PASSWORD']
    return { host, options: password ? { auth: { password } } : {}, lab: undefined, args, [Symbol.asyncDispose]: async () => {} }
  }
  const lab = await startLab(labOptions)
  console.log(`(no host given: using the embedded lab; its ssh_config is ${lab.configFile})`)
  return { host: labHost, options: { config: lab.configFile }, lab, args, [Symbol.asyncDispose]: () => lab.close() }
}
