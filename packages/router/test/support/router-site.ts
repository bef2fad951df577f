// Test-only: a pool of real OpenSSH sshd hosts and a Router in front of them. Each host sets
// X_HOST (sshd_config SetEnv) so a session shows which host it landed on; the router logs in to
// the hosts with the testbed's ECDSA key and clients log in to the router with its ed25519 key.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AuthorizedKeys } from '@x/server'
import { loadPrivateKey } from '@x/transport'
import { afterAll, beforeAll } from 'vitest'
import { authorizedKeysText, clientKeys, generateKey, startEchoServer, startSshd, testUser } from '@x/testbed'
import type { ClientKeys, SshdHandle, SshdOptions, TcpServerHandle } from '@x/testbed'
import { Router } from '../../src/index.js'
import type { RouterLogEvent, RouterOptions } from '../../src/index.js'

/** A pool host: its sshd and its name in X_HOST. */
export interface PoolHost {
  readonly name: string
  readonly sshd: SshdHandle
  /** `127.0.0.1:port`, the key the router knows it by. */
  readonly text: string
}

/** A running pool and what tests need to reach it directly. */
export interface Pool {
  readonly hosts: PoolHost[]
  readonly user: string
  readonly keys: ClientKeys
  readonly dir: string
  /** Every host's keys, for the router's upstream.knownHostsFiles. */
  readonly knownHostsFile: string
  close(): Promise<void>
}

/** Starts `count` sshd hosts named h1…hN. */
export async function startPool(count: number, sshd: SshdOptions = {}): Promise<Pool> {
  const [keys, account] = await Promise.all([clientKeys(), testUser()])
  const dir = await mkdtemp(join(tmpdir(), 'x-router-pool-'))
  const hosts: PoolHost[] = []
  try {
    for (let i = 1; i <= count; i++) {
      const name = `h${i}`
      const s = await startSshd({ logLevel: 'INFO', ...sshd, extraConfig: [`SetEnv X_HOST=${name}`, ...(sshd.extraConfig ?? [])] })
      hosts.push({ name, sshd: s, text: `127.0.0.1:${s.port}` })
    }
  } catch (err) {
    await Promise.all(hosts.map((h) => h.sshd.close()))
    await rm(dir, { recursive: true, force: true })
    throw err
  }
  const knownHostsFile = join(dir, 'known_hosts')
  await writeFile(knownHostsFile, hosts.flatMap((h) => h.sshd.knownHostsLines).join('\n') + '\n')
  return {
    hosts, user: account.name, keys, dir, knownHostsFile,
    close: async () => {
      await Promise.all(hosts.map((h) => h.sshd.close()))
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** A router listening on a free loopback port, and the ssh options to reach it. */
export interface RouterFixture {
  readonly router: Router
  readonly port: number
  readonly log: RouterLogEvent[]
  /** ssh options: no config, strict known_hosts of the router, the ed25519 key, the port. */
  readonly ssh: string[]
  /** The same for scp/sftp (-P instead of -p). */
  readonly scp: string[]
  readonly knownHostsFile: string
  close(): Promise<void>
}

/** Starts a router over `pool` with `options` over the defaults (every pool host, in order). */
export async function startRouter(pool: Pool, options: Partial<RouterOptions> = {}): Promise<RouterFixture> {
  const dir = await mkdtemp(join(pool.dir, 'router-'))
  const host = await generateKey('ed25519', join(dir, 'host_ed25519'))
  const log: RouterLogEvent[] = []
  const router = new Router({
    route: () => ({ dest: pool.hosts.map((h) => h.text) }),
    hostKeys: [await loadPrivateKey(host.privatePath)],
    frontAuth: { authorizedKeys: AuthorizedKeys.parse(authorizedKeysText(pool.keys)) },
    upstream: { identity: pool.keys.ecdsa.privatePath, knownHostsFiles: [pool.knownHostsFile] },
    log: (e) => log.push(e),
    ...options,
  })
  const { bound } = await router.listen('127.0.0.1:0')
  const knownHostsFile = join(dir, 'known_hosts')
  await writeFile(knownHostsFile, `[127.0.0.1]:${bound.port} ${host.publicLine.split(' ').slice(0, 2).join(' ')}\n`)
  const common = [
    '-F', '/dev/null',
    '-o', 'BatchMode=yes',
    '-o', `UserKnownHostsFile=${knownHostsFile}`,
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'IdentitiesOnly=yes',
    '-o', 'LogLevel=ERROR',
    '-i', pool.keys.ed25519.privatePath,
  ]
  return {
    router, port: bound.port, log, knownHostsFile,
    ssh: [...common, '-p', String(bound.port)],
    scp: [...common, '-P', String(bound.port)],
    close: async () => {
      await router.close({ timeoutMs: 2_000 })
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** What {@link useRouterSite} sets up for a describe block; read its fields inside tests. */
export interface RouterSite {
  readonly pool: Pool
  readonly r: RouterFixture
  /** A TCP echo server on the loopback, for forwarding tests. */
  readonly echo: TcpServerHandle
}

/** Starts a pool of `hosts` sshd hosts, a router over it and an echo server for the enclosing describe block. */
export function useRouterSite(hosts = 1, options: Partial<RouterOptions> = {}): RouterSite {
  const site: { pool?: Pool; r?: RouterFixture; echo?: TcpServerHandle } = {}
  beforeAll(async () => {
    site.pool = await startPool(hosts)
    site.r = await startRouter(site.pool, options)
    site.echo = await startEchoServer()
  }, 60_000)
  afterAll(async () => {
    await site.r?.close()
    await site.pool?.close()
    await site.echo?.close()
  })
  return {
    get pool() {
      return site.pool!
    },
    get r() {
      return site.r!
    },
    get echo() {
      return site.echo!
    },
  }
}
