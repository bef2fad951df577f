/**
 * The bench's load process: traffic sources and sinks that run outside the measured client, so
 * every client (ours, `ssh`, raw ssh2) competes for the same cores with the same load.
 *
 * Servers on 127.0.0.1: a sink (counts what arrives, reports `{ op: 'sunk', bytes }` on EOF),
 * a source (reads a decimal byte count and a newline, then sends that many bytes and ends) and an
 * echo server. Commands over IPC: `up`, `down` (through a local port: a forward) and `echo-many`.
 * Spawned by bench/lib/load.ts; exits when its parent disconnects.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { randomBytes } from 'node:crypto'
import { writeBytes } from './payload.js'

type Command =
  | { id: number; op: 'up'; port: number; bytes: number }
  | { id: number; op: 'down'; port: number; bytes: number }
  | { id: number; op: 'echo-many'; port: number; count: number; bytes: number }

const send = (msg: object): void => void process.send?.(msg)

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)))
}

let awaitingSunk: ((bytes: number) => void) | undefined

const sink = createServer({ noDelay: true }, (sock) => {
  let bytes = 0
  sock.on('data', (d: Buffer) => { bytes += d.length })
  sock.on('error', () => {})
  sock.on('end', () => {
    sock.end()
    send({ op: 'sunk', bytes })
    awaitingSunk?.(bytes)
  })
})

const source = createServer({ noDelay: true }, (sock) => {
  let header = ''
  sock.on('error', () => {})
  const onData = (d: Buffer): void => {
    header += d.toString('latin1')
    const nl = header.indexOf('\n')
    if (nl < 0) return
    sock.off('data', onData)
    sock.resume()
    void writeBytes(sock, Number(header.slice(0, nl))).then(() => sock.end(), () => sock.destroy())
  }
  sock.on('data', onData)
})

const echo = createServer({ noDelay: true, allowHalfOpen: true }, (sock) => {
  sock.on('error', () => {})
  sock.pipe(sock)
})

function dial(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect({ port, host: '127.0.0.1', noDelay: true }, () => resolve(sock))
    sock.once('error', reject)
  })
}

async function up(port: number, bytes: number): Promise<number> {
  const t0 = performance.now()
  // A connection that carried nothing is not this upload: `ssh -L`'s readiness probe (connect,
  // close) reaches the sink as an empty connection whose end can arrive late, under load even
  // during the measured upload. Bounded, so an upload that never arrives still fails.
  let unbound: NodeJS.Timeout | undefined
  const sunk = new Promise<number>((resolve) => {
    awaitingSunk = (n) => { if (n > 0) resolve(n) }
    unbound = setTimeout(() => resolve(0), 120_000)
  }).finally(() => clearTimeout(unbound))
  const sock = await dial(port)
  sock.resume()
  await writeBytes(sock, bytes)
  sock.end()
  const got = await sunk
  awaitingSunk = undefined
  if (got !== bytes) throw new Error(`sink got ${got} of ${bytes} bytes`)
  return performance.now() - t0
}

async function down(port: number, bytes: number): Promise<number> {
  const t0 = performance.now()
  const sock = await dial(port)
  sock.write(`${bytes}\n`)
  let got = 0
  for await (const chunk of sock) got += (chunk as Buffer).length
  if (got !== bytes) throw new Error(`received ${got} of ${bytes} bytes`)
  return performance.now() - t0
}

async function echoOne(port: number, payload: Buffer): Promise<boolean> {
  const sock = await dial(port)
  const parts: Buffer[] = []
  let got = 0
  const done = new Promise<void>((resolve, reject) => {
    sock.on('data', (d: Buffer) => {
      parts.push(d)
      got += d.length
      if (got >= payload.length) { sock.end(); resolve() }
    })
    sock.on('error', reject)
    sock.on('close', () => (got >= payload.length ? resolve() : reject(new Error(`echo got ${got} bytes`))))
  })
  sock.write(payload)
  await done
  sock.destroy()
  return Buffer.concat(parts).equals(payload)
}

async function echoMany(port: number, count: number, bytes: number): Promise<{ ms: number; exact: number }> {
  const payloads = Array.from({ length: count }, () => randomBytes(bytes))
  const t0 = performance.now()
  const results = await Promise.allSettled(payloads.map((p) => echoOne(port, p)))
  const ms = performance.now() - t0
  return { ms, exact: results.filter((r) => r.status === 'fulfilled' && r.value).length }
}

async function handle(cmd: Command): Promise<object> {
  switch (cmd.op) {
    case 'up': return { ms: await up(cmd.port, cmd.bytes) }
    case 'down': return { ms: await down(cmd.port, cmd.bytes) }
    case 'echo-many': return echoMany(cmd.port, cmd.count, cmd.bytes)
  }
}

process.on('message', (cmd: Command) => {
  handle(cmd).then(
    (result) => send({ id: cmd.id, ...result }),
    (err: unknown) => send({ id: cmd.id, error: String((err as Error)?.message ?? err) }),
  )
})
process.on('disconnect', () => process.exit(0))

const [sinkPort, sourcePort, echoPort] = await Promise.all([listen(sink), listen(source), listen(echo)])
send({ op: 'ready', sinkPort, sourcePort, echoPort })
