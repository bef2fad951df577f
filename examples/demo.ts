/**
 * The README's first command (`pnpm demo`): a tour of @x/connection against the embedded lab —
 * SSH servers this process starts itself (examples/embedded/lab.ts). No sshd, no keys to make,
 * nothing to configure, no network beyond loopback.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { get as httpGet } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Connection, GatewayConflictError, HostKeyError } from '@x/connection'
import { startLab } from './embedded/lab.js'
import { progressBar } from './lib/progress-bar.js'
import { Transcript } from './lib/transcript.js'

const PAYLOAD_MIB = 16
const t = new Transcript()
console.log('x-ssh demo: SSH servers, files, tunnels and errors, all inside this process')

await using lab = await t.step('Start the embedded lab', () => startLab())
t.ok(`bastion listens on 127.0.0.1:${lab.bastion.port}`)
t.ok('inner.lab has no TCP port: it listens on a Unix socket that only the bastion opens')
t.ok('web.lab is an HTTP service that only inner.lab can reach')
t.ok(`ssh_config, known_hosts and a key written to ${lab.dir}:`)
for (const line of (await readFile(lab.configFile, 'utf8')).split('\n').slice(1, 10)) t.note(line)

const config = lab.configFile
await using bastion = new Connection('bastion', { config })
await using inner = new Connection('inner', { config, gateway: bastion })
await t.step('Connect to inner.lab through the bastion', async () => {
  t.note("new Connection('inner', { config, gateway: new Connection('bastion', { config }) })")
  await inner.open()
  const key = inner.transport?.remoteServerKey
  t.ok(`authenticated as ${inner.user}@${inner.hostname}:${inner.port}; host key ${key?.fingerprint} found in known_hosts`)
  for (const tunnel of lab.bastion.tunnels) t.ok(`the bastion's log: ${tunnel.user} opened a direct-tcpip channel to ${tunnel.to}`)
})

await t.step('Run a command', async () => {
  t.note(`inner.run('uname -sr && echo "this is $LAB_HOST, in $PWD"')`)
  const result = await inner.run('uname -sr && echo "this is $LAB_HOST, in $PWD"')
  for (const line of result.stdout.trim().split('\n')) t.ok(`stdout: ${line}`)
  t.ok(`exit code ${result.exitCode}`)
})

const local = await mkdtemp(join(tmpdir(), 'x-ssh-demo-'))
try {
  const payload = randomBytes(PAYLOAD_MIB * 1024 * 1024)
  await writeFile(join(local, 'payload.bin'), payload)
  await t.step(`Upload and download ${PAYLOAD_MIB} MiB with progress`, async () => {
    t.note("inner.put('payload.bin', 'payload.bin', { onProgress }); inner.get(…)")
    const up = progressBar('upload  ')
    const sent = await inner.put(join(local, 'payload.bin'), 'payload.bin', { onProgress: up.update })
    up.done()
    const down = progressBar('download')
    await inner.get('payload.bin', join(local, 'payload.back.bin'), { onProgress: down.update })
    down.done()
    const [a, b] = [payload, await readFile(join(local, 'payload.back.bin'))].map((d) => createHash('sha256').update(d).digest('hex'))
    if (a !== b) throw new Error('the downloaded file differs from the uploaded one')
    t.ok(`${sent.bytes} bytes up and back down; SHA-256 identical (${a?.slice(0, 16)}…)`)
  })
} finally {
  await rm(local, { recursive: true, force: true })
}

await t.step('Forward a local port to web.lab:80', async () => {
  t.note("inner.forwardLocal({ remoteHost: 'web.lab', remotePort: 80 }), then fetch() through it")
  await using fwd = await inner.forwardLocal({ remoteHost: 'web.lab', remotePort: 80 })
  t.ok(`listening on ${fwd.host}:${fwd.port} (ssh -L ${fwd.port}:web.lab:80)`)
  const res = await fetch(`http://${fwd.host}:${fwd.port}/through-forwardLocal`)
  t.ok(`HTTP ${res.status}: ${(await res.text()).trim()}`)
})

await t.step('Hand an SSH channel to http.get() as its socket', async () => {
  t.note("const socket = await inner.openSocket('web.lab', 80)")
  const socket = await inner.openSocket('web.lab', 80)
  const body = await new Promise<string>((resolve, reject) => {
    httpGet({ host: 'web.lab', path: '/through-openSocket', createConnection: () => socket as never }, (res) => {
      let text = `HTTP ${res.statusCode}: `
      res.on('data', (chunk: Buffer) => (text += chunk.toString()))
      res.on('end', () => resolve(text.trim()))
    }).on('error', reject)
  })
  t.ok(body)
})

await t.step('GatewayConflictError: two kinds of gateway for one host', async () => {
  t.note("new Connection('inner', { config, gateway: 'nc %h %p' })  // ssh_config already says ProxyJump")
  try {
    new Connection('inner', { config, gateway: 'nc %h %p' })
    throw new Error('expected a GatewayConflictError')
  } catch (err) {
    if (!(err instanceof GatewayConflictError)) throw err
    t.ok(`${err.name} ${err.code}, thrown by the constructor: nothing was dialled or started`)
    t.note(err.message)
  }
})

await t.step('HostKeyError: inner.lab does not match known_hosts', async () => {
  t.note('the same connection, checked against a known_hosts from before inner.lab was reinstalled')
  await using stale = new Connection('inner', { config, gateway: bastion, hostKeys: { knownHostsFiles: [lab.staleKnownHostsFile] } })
  const err = await stale.open().then(() => new Error('expected a HostKeyError'), (e: unknown) => e)
  if (!(err instanceof HostKeyError)) throw err
  t.ok(`${err.name} ${err.code}, reason '${err.reason}': refused before authenticating`)
  t.note(`${err.host}:${err.port} offered ${err.fingerprint}; known_hosts expects ${err.expected.join(', ')}`)
  t.ok(`the bastion connection stays open for other hosts: ${bastion.isConnected}`)
})

await inner.close()
await bastion.close()
t.summary()
