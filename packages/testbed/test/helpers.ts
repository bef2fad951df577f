import { once } from 'node:events'
import ssh2 from 'ssh2'
import type { ConnectConfig } from 'ssh2'
import { runCommand } from '../src/index.js'
import type { CommandOutput, SshServerHandle } from '../src/index.js'

const { Client } = ssh2
/** An ssh2 client connection. */
export type Client = InstanceType<typeof Client>

/** Answers every keyboard-interactive prompt with `answer`, recording the prompts. */
export function answerPrompts(answer: string, seen: string[]): (client: Client) => void {
  return (client) =>
    client.on('keyboard-interactive', (_name, _instructions, _lang, prompts, finish) => {
      seen.push(...prompts.map((p) => p.prompt))
      finish(prompts.map(() => answer))
    })
}

/** Runs the real OpenSSH client against a test server; never throws on a non-zero exit. */
export function openssh(
  server: Pick<SshServerHandle, 'host' | 'port' | 'user' | 'knownHostsFile'>,
  args: readonly string[],
  command = 'true',
  env?: NodeJS.ProcessEnv,
): Promise<CommandOutput> {
  return runCommand('/usr/bin/ssh', [
    '-F', '/dev/null',
    '-o', 'BatchMode=yes',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', `UserKnownHostsFile=${server.knownHostsFile}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'ConnectTimeout=10',
    '-p', String(server.port),
    ...args,
    `${server.user}@${server.host}`,
    command,
  ], { allowFailure: true, timeoutMs: 20_000, env })
}

/** Logs in with the OpenSSH client and a key file and runs `command`. */
export function opensshWithKey(server: SshServerHandle, keyPath: string, command = 'true'): Promise<CommandOutput> {
  return openssh(server, ['-o', 'IdentitiesOnly=yes', '-i', keyPath], command)
}

/** Returns the methods the server lists after `none` ("Authentications that can continue"). */
export async function offeredMethods(server: SshServerHandle): Promise<string[]> {
  const out = await openssh(server, [
    '-v', '-o', 'IdentitiesOnly=yes', '-o', 'PubkeyAuthentication=no', '-o', 'PasswordAuthentication=no',
    '-o', 'KbdInteractiveAuthentication=no', '-o', 'IdentityFile=/dev/null',
  ])
  const match = /Authentications that can continue: (\S+)/.exec(out.stderr)
  if (!match?.[1]) throw new Error(`no method list in ssh -v output:\n${out.stderr}`)
  return match[1].split(',')
}

/** Connects an ssh2 Client (error listener attached); resolves on 'ready'. */
export async function ssh2Connect(config: ConnectConfig, setup?: (client: Client) => void): Promise<Client> {
  const client = new Client()
  setup?.(client)
  const errors: Error[] = []
  client.on('error', (err) => errors.push(err))
  const ready = once(client, 'ready')
  const closed = once(client, 'close')
  client.connect({ readyTimeout: 15_000, ...config })
  const first = await Promise.race([ready.then(() => 'ready' as const), closed.then(() => 'close' as const)])
  if (first === 'close') throw errors[0] ?? new Error('connection closed before ready')
  return client
}

/** Ends an ssh2 Client and waits (bounded) until its socket is closed. */
export async function ssh2End(client: Client): Promise<void> {
  const closed = once(client, 'close').catch(() => {})
  client.end()
  const timer = setTimeout(() => client.destroy(), 5000)
  await closed
  clearTimeout(timer)
}

/** Runs `command` on an ssh2 Client and returns its stdout. */
export async function ssh2Exec(client: Client, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, stream) => {
      if (err) return reject(err)
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.stderr.resume()
      stream.on('error', reject)
      stream.on('close', () => resolve(Buffer.concat(chunks).toString()))
    })
  })
}
