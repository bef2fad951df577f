/**
 * The Transport layer, step by step (paramiko's Transport): start the client and check the host
 * key, ask the server what it allows ('none'), authenticate with a key, follow the partial
 * success to keyboard-interactive (a verification code), then run a command on a session channel.
 *
 * Embedded lab: `pnpm tsx --conditions=source examples/step-by-step-auth.ts` (its "mfa" host
 *   wants a key, then a code; the example answers with the code the lab made up)
 * A real host:  `pnpm tsx --conditions=source examples/step-by-step-auth.ts user@host[:port] ~/.ssh/id_ed25519`
 *   (prompts are answered on this terminal; the host must be in ~/.ssh/known_hosts)
 */
import { createInterface } from 'node:readline/promises'
import { AuthenticationError, Transport, knownHosts, type InteractiveHandler } from '@x/transport'
import { startLab } from './embedded/lab.js'

const [spec, keyArg] = process.argv.slice(2)
await using lab = spec === undefined ? await startLab({ mfa: true }) : undefined
const match = /^(?:([^@]+)@)?([^:]+)(?::(\d+))?$/.exec(spec ?? `${lab?.user}@127.0.0.1:${lab?.mfa?.port}`)
if (!match) throw new TypeError(`expected user@host[:port], got ${spec}`)
const [, user = process.env['USER'] ?? 'root', host = '', port = '22'] = match
const keyPath = keyArg ?? lab?.keyFile ?? `${process.env['HOME']}/.ssh/id_ed25519`

/** Answers keyboard-interactive prompts: the lab's code, or whatever you type. */
const answer: InteractiveHandler = async (title, instructions, prompts) => {
  console.log(`  server asks (${title || 'no title'}${instructions ? `: ${instructions}` : ''}): ${prompts.map((p) => p.prompt).join(' | ')}`)
  if (lab?.mfa) return prompts.map(() => lab.mfa!.oneTimeCode)
  const tty = createInterface({ input: process.stdin, output: process.stdout })
  try {
    const answers: string[] = []
    for (const p of prompts) answers.push(await tty.question(p.prompt))
    return answers
  } finally {
    tty.close()
  }
}

await using t = new Transport({ host, port: Number(port) }, { hostKeyVerifier: knownHosts(lab ? { files: [lab.knownHostsFile] } : {}) })

await t.startClient()
console.log(`1. startClient: host key ${t.remoteServerKey?.fingerprint} is in known_hosts; kex ${t.negotiated?.kex}, cipher ${t.negotiated?.cipher}`)

const allowed = await t.authNone(user).catch((err: unknown) => {
  if (err instanceof AuthenticationError) return err.allowedTypes
  throw err
})
console.log(`2. authNone('${user}'): the server allows ${allowed.join(', ') || '(anyone: already in)'}`)

let next = allowed.length === 0 ? [] : await t.authPublicKey(user, keyPath)
console.log(`3. authPublicKey(${keyPath}): ${next.length === 0 ? 'authenticated' : `partial success, the server wants ${next.join(', ')} as well`}`)

if (next.includes('keyboard-interactive')) {
  next = await t.authInteractive(user, answer)
  console.log(`4. authInteractive: ${next.length === 0 ? 'authenticated' : `still wants ${next.join(', ')}`}`)
}
if (!t.isAuthenticated) throw new Error(`not authenticated; the server still wants ${next.join(', ')}`)

const ch = await t.openSession()
await ch.exec('echo "hello $LOGNAME from $(uname -n)"')
ch.end()
let out = ''
for await (const chunk of ch) out += String(chunk)
const status = await ch.exitStatus()
console.log(`5. openSession + exec: ${out.trim()} (exit code ${status.code})`)
