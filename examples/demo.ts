/**
 * The README's first command: a short tour of @x/transport against SSH servers this process
 * starts itself. No sshd, no keys, no network beyond loopback.
 */
import { get } from 'node:http'
import { HostKeyError, Transport, fixedHostKey, type Channel } from '@x/transport'
import { startHttpService } from './embedded/http-service.js'
import { startEmbeddedSshServer } from './embedded/ssh-server.js'

const started = Date.now()
const step = (text: string): void => console.log(`▶ ${text}`)
const ok = (text: string): void => console.log(`  ✓ ${text}`)

async function collect(stream: NodeJS.ReadableStream): Promise<string> {
  let out = ''
  for await (const chunk of stream) out += chunk.toString()
  return out
}

await using server = await startEmbeddedSshServer()
await using service = await startHttpService()
step(`embedded SSH server on ${server.host}:${server.port}, an HTTP service on 127.0.0.1:${service.port}`)

{
  await using t = new Transport(`${server.host}:${server.port}`, { hostKeyVerifier: fixedHostKey(server.hostKeyLine) })
  t.on('banner', (message) => ok(`server banner: ${message.trim()}`))

  step('startClient(): TCP, version exchange, key exchange, host-key check')
  await t.startClient()
  const n = t.negotiated!
  ok(`host key ${t.remoteServerKey!.fingerprint} (${n.hostKey}) matches the pinned key`)
  ok(`kex ${n.kex}, cipher ${n.cipher}, strict kex ${n.strictKex ? 'on' : 'off'}`)

  step(`authNone('${server.user}'): ask the server what it allows`)
  const allowed = await t.authNone(server.user).catch((err: { allowedTypes?: string[] }) => err.allowedTypes ?? [])
  ok(`server allows: ${allowed.join(', ')}`)

  step(`authPassword('${server.user}', '********')`)
  const next = await t.authPassword(server.user, server.password)
  ok(next.length === 0 ? `authenticated as ${t.username}` : `partial success, next: ${next.join(', ')}`)

  step("exec('uname -sr; echo to stderr >&2; exit 3')")
  const ch: Channel = await t.openSession()
  await ch.exec('uname -sr; echo to stderr >&2; exit 3')
  ch.end()
  const [stdout, stderr, status] = await Promise.all([collect(ch), collect(ch.stderr), ch.exitStatus()])
  ok(`stdout: ${stdout.trim()} | stderr: ${stderr.trim()} | exit code ${status.code}`)

  step(`openChannel('direct-tcpip') to 127.0.0.1:${service.port}, used as the socket of http.get`)
  const tunnel = await t.openChannel('direct-tcpip', { dest: ['127.0.0.1', service.port] })
  const body = await new Promise<string>((resolve, reject) => {
    get({ host: '127.0.0.1', port: service.port, path: '/', createConnection: () => tunnel.asSocket() as never }, (res) => {
      collect(res).then(resolve, reject)
    }).on('error', reject)
  })
  ok(`HTTP through SSH: ${body.trim()}`)
}

step('the same server checked against another pinned key: refused before authentication')
const wrongKey = await startEmbeddedSshServer()
await wrongKey.close()
const impostor = new Transport(`${server.host}:${server.port}`, { hostKeyVerifier: fixedHostKey(wrongKey.hostKeyLine) })
const err = await impostor.startClient().catch((e: unknown) => e)
if (!(err instanceof HostKeyError)) throw new Error('expected a HostKeyError')
ok(`${err.name} ${err.code} (reason: ${err.reason}, offered ${err.fingerprint})`)

console.log(`✔ demo finished in ${((Date.now() - started) / 1000).toFixed(1)} s`)
