/**
 * A Transport<'server'> behind a TCP listener on 127.0.0.1, and the real OpenSSH `ssh` client
 * pointed at it (-F /dev/null, BatchMode, a known_hosts holding our host key). Each test file
 * makes one fixture; every listener and transport it starts is closed by `closeAll()`.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { clientKeys, generateKey, type ClientKeys } from '@x/testbed'
import { afterAll, afterEach, beforeAll } from 'vitest'
import { loadPrivateKey, PublicKey, Transport, type PrivateKey, type ServerInterface, type ServerRoleOptions } from '@x/transport'

/** What `ssh` printed and how it exited. */
export interface SshResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** One running listener: its port and the transports of its connections. */
export interface ServerUnderTest {
  readonly port: number
  readonly transports: Transport<'server'>[]
  /** A known_hosts file naming our host key for [127.0.0.1]:port. */
  readonly knownHostsFile: string
  /** Runs `ssh [args…] me@127.0.0.1 command` against this listener (bounded at 20 s). */
  ssh(args: readonly string[], command: string, env?: NodeJS.ProcessEnv): Promise<SshResult>
}

/** The fixture of one test file. */
export interface ServerFixture {
  readonly keys: ClientKeys
  readonly dir: string
  /** Whether `key` is one of the test client keys the fixture authorizes. */
  allowed(key: PublicKey): boolean
  /** A ServerInterface accepting the authorized keys, sessions and exec, plus `extra`. */
  base(extra?: Partial<ServerInterface>): ServerInterface
  /** Starts a listener; `serve` gets each connection's transport once startServer was called. */
  listen(make: (t: Transport<'server'>) => ServerInterface, serve?: (t: Transport<'server'>) => void, options?: ServerRoleOptions): Promise<ServerUnderTest>
  /** Destroys every transport and closes every listener started since the last call. */
  closeAll(): Promise<void>
  /** Removes the fixture's temp dir (after closeAll). */
  remove(): Promise<void>
}

/**
 * The fixture of the calling test file, made in its `beforeAll`: every listener and transport
 * closed after each test (after the file's own afterEach hooks, which run first), the temp dir
 * removed at the end. Its members may be used only inside tests and hooks.
 */
export function useServerFixture(): ServerFixture {
  let made: ServerFixture | undefined
  const get = (): ServerFixture => {
    if (!made) throw new Error('the server fixture is made in beforeAll: use it inside tests and hooks')
    return made
  }
  beforeAll(async () => {
    made = await serverFixture()
  })
  afterEach(async () => {
    await made?.closeAll()
  })
  afterAll(async () => {
    await made?.remove()
  })
  return {
    get keys() { return get().keys },
    get dir() { return get().dir },
    allowed: (key) => get().allowed(key),
    base: (extra) => get().base(extra),
    listen: (make, serve, options) => get().listen(make, serve, options),
    closeAll: () => get().closeAll(),
    remove: () => get().remove(),
  }
}

/** Creates the fixture: client keys, a host key, a temp dir. */
export async function serverFixture(): Promise<ServerFixture> {
  const keys = await clientKeys()
  const dir = await mkdtemp(join(tmpdir(), 'srv-fx-'))
  const host = await generateKey('ed25519', join(dir, 'host'), { comment: 'host' })
  const hostKey: PrivateKey = await loadPrivateKey(host.privatePath)
  const open: Array<{ listener: Server; transports: Transport<'server'>[] }> = []
  const allowed = (key: PublicKey): boolean => keys.authorized.some((k) => PublicKey.parse(k.publicLine).equals(key))
  return {
    keys,
    dir,
    allowed,
    base: (extra = {}) => ({
      checkAuthPublicKey: (_ctx, key) => (allowed(key) ? 'success' : 'failure'),
      checkChannelRequest: () => true,
      checkExecRequest: () => true,
      ...extra,
    }),
    async listen(make, serve, options = { loginGraceMs: 10_000 }) {
      const transports: Transport<'server'>[] = []
      const listener = createServer((sock: Socket) => {
        const t = new Transport<'server'>(sock, { server: options })
        transports.push(t)
        t.addServerKey(hostKey)
        t.startServer(make(t)).catch(() => undefined)
        serve?.(t)
      })
      open.push({ listener, transports })
      await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r))
      const port = (listener.address() as { port: number }).port
      const knownHostsFile = join(dir, `known_hosts_${port}`)
      await writeFile(knownHostsFile, `[127.0.0.1]:${port} ${host.publicLine}\n`)
      const defaults = ['-F', '/dev/null', '-p', String(port), '-o', `UserKnownHostsFile=${knownHostsFile}`, '-o', 'StrictHostKeyChecking=yes',
        '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-i', keys.ed25519.privatePath]
      return {
        port,
        transports,
        knownHostsFile,
        // OpenSSH keeps the first value of an option: the test's own options go before the defaults.
        ssh: (args, command, env = {}) => runSsh([...args, ...defaults, 'me@127.0.0.1', command], env),
      }
    },
    async closeAll() {
      for (const { listener, transports } of open.splice(0)) {
        for (const t of transports) t.destroy()
        await new Promise((r) => listener.close(r))
      }
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  }
}

/** Runs OpenSSH `ssh` with `args` (bounded at 20 s, killed after). */
export function runSsh(args: string[], env: NodeJS.ProcessEnv = {}): Promise<SshResult> {
  return new Promise((resolve) => {
    execFile('ssh', args, { env: { ...process.env, ...env }, timeout: 20_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0
      resolve({ code, stdout, stderr })
    })
  })
}
