/**
 * A small SSH server that runs inside the demo's own process, so the demo needs no sshd, no
 * keys and no network beyond loopback. It accepts one user with a password, runs `exec`
 * requests with /bin/sh, and opens direct-tcpip channels to 127.0.0.1 only.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { connect, createServer, type Socket } from 'node:net'
import ssh2 from 'ssh2'

const { Server, utils } = ssh2

/** A running embedded server. */
export interface EmbeddedSshServer {
  readonly host: string
  readonly port: number
  readonly user: string
  readonly password: string
  /** The server's host key as an OpenSSH public key line. */
  readonly hostKeyLine: string
  close(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

/** Starts the embedded server on 127.0.0.1 and a free port. */
export async function startEmbeddedSshServer(): Promise<EmbeddedSshServer> {
  const keys = generateUsableEd25519()
  const user = 'demo'
  const password = randomBytes(9).toString('base64url')
  const sockets = new Set<Socket>()
  const server = new Server({ hostKeys: [keys.private], banner: 'Welcome to the embedded demo server.\n' }, (client) => {
    client.on('error', () => {})
    client.on('authentication', (ctx) => {
      if (ctx.username === user && ctx.method === 'password' && ctx.password === password) return ctx.accept()
      ctx.reject(['password'])
    })
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept()
        session.on('exec', (acceptExec, _reject, info) => {
          const channel = acceptExec()
          const child = spawn('/bin/sh', ['-c', info.command], { stdio: ['pipe', 'pipe', 'pipe'] })
          channel.pipe(child.stdin).on('error', () => {})
          child.stdout.pipe(channel, { end: false })
          child.stderr.pipe(channel.stderr, { end: false })
          child.on('close', (code, signal) => {
            if (signal) channel.exit(signal.replace(/^SIG/, ''), false, '')
            else channel.exit(code ?? 0)
            channel.end()
          })
        })
      })
      client.on('tcpip', (accept, reject, info) => {
        if (info.destIP !== '127.0.0.1' && info.destIP !== 'localhost') return reject()
        const target = connect(info.destPort, '127.0.0.1')
        target.on('error', () => reject())
        target.once('connect', () => {
          const channel = accept()
          channel.on('error', () => target.destroy())
          target.on('error', () => channel.destroy())
          channel.pipe(target).pipe(channel)
        })
      })
    })
  })
  server.on('error', () => {})
  const tcp = createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
    server.injectSocket(socket)
  })
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve))
  const { port } = tcp.address() as { port: number }
  const publicKey = utils.parseKey(keys.public)
  if (publicKey instanceof Error) throw publicKey
  const close = async (): Promise<void> => {
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => tcp.close(() => resolve()))
  }
  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    hostKeyLine: `${publicKey.type} ${publicKey.getPublicSSH().toString('base64')}`,
    close,
    [Symbol.asyncDispose]: close,
  }
}

/**
 * Generates an ed25519 key pair ssh2 can read back: ssh2 1.17 mangles about 1 generated public
 * key in 256 (a leading zero byte is stripped, mscdex/ssh2#1390), so such a pair is made again.
 */
function generateUsableEd25519(): { private: string; public: string } {
  for (let attempt = 0; attempt < 32; attempt++) {
    const pair = utils.generateKeyPairSync('ed25519')
    if (!(utils.parseKey(pair.private) instanceof Error) && !(utils.parseKey(pair.public) instanceof Error)) return pair
  }
  throw new Error('ssh2 produced no parsable ed25519 key pair in 32 attempts')
}
