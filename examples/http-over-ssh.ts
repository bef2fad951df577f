/**
 * HTTP clients over SSH channels, without a local port: an `http.Agent` whose connections are
 * `openSocket()` channels (keep-alive reuses them), and undici with the same `connect` hook.
 *
 * Embedded lab: `pnpm tsx --conditions=source examples/http-over-ssh.ts` (web.lab behind inner.lab)
 * A real host:  `pnpm tsx --conditions=source examples/http-over-ssh.ts user@host http://127.0.0.1:8080/`
 */
import { Agent as HttpAgent, get, type AgentOptions, type ClientRequestArgs } from 'node:http'
import type { Duplex } from 'node:stream'
import { Connection } from '@x/connection'
import { Agent as UndiciAgent, request } from 'undici'
import { exampleTarget } from './lib/target.js'

/** An http.Agent that opens each connection as a direct-tcpip channel of `ssh`. */
class SshHttpAgent extends HttpAgent {
  /** How many channels it opened. */
  channels = 0

  constructor(private readonly ssh: Connection, options?: AgentOptions) {
    super(options)
  }

  // http.Agent also accepts an asynchronous createConnection: it waits for the callback.
  override createConnection(options: ClientRequestArgs, callback: (err: Error | null, socket?: Duplex) => void): undefined {
    this.channels++
    this.ssh.openSocket(options.host ?? 'localhost', Number(options.port ?? 80)).then((socket) => callback(null, socket), callback)
    return undefined
  }
}

await using target = await exampleTarget('inner')
const url = new URL(target.args[0] ?? 'http://web.lab/')
await using ssh = new Connection(target.host, target.options)

const agent = new SshHttpAgent(ssh, { keepAlive: true })
for (const path of ['/first', '/second']) {
  const body = await new Promise<string>((resolve, reject) => {
    get(new URL(path, url), { agent }, (res) => {
      let text = `${res.statusCode} `
      res.on('data', (chunk: Buffer) => (text += chunk.toString()))
      res.on('end', () => resolve(text.trim()))
    }).on('error', reject)
  })
  console.log(`http.get ${path}: ${body}`)
}
console.log(`2 requests, ${agent.channels} SSH channel (keep-alive)`)
agent.destroy()

const dispatcher = new UndiciAgent({
  connect: (options, callback) => {
    ssh.openSocket(options.hostname, Number(options.port || 80)).then((socket) => callback(null, socket as never), (err: Error) => callback(err, null))
  },
})
const res = await request(new URL('/from-undici', url), { dispatcher })
console.log(`undici ${res.statusCode}: ${(await res.body.text()).trim()}`)
await dispatcher.close()
