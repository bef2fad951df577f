import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { SshServerHandle } from './server-handle.js'
import { startDropbear } from './dropbear.js'
import type { DropbearHandle, DropbearOptions } from './dropbear.js'
import { knownHostsLines as renderKnownHostsLines } from './host-keys.js'
import {
  TC, createNetns, deleteNetns, hostConnectRefused, listNetns, netnsPids, unusedHostPorts,
} from './netns.js'
import { LOOPBACK, answersSsh } from './ports.js'
import { startPostgres } from './postgres.js'
import type { PostgresHandle, PostgresOptions } from './postgres.js'
import { descendantPids, isProcessAlive } from './proc.js'
import { startNetnsRelay } from './relay.js'
import type { NetnsRelayHandle } from './relay.js'
import { runCommand } from './run-command.js'
import { startSshd } from './sshd.js'
import type { SshdHandle, SshdOptions } from './sshd.js'
import { makeTempDir, removeTempDir } from './temp-dir.js'
import { startTlsHttpsServer } from './tls-server.js'
import type { HttpsServerHandle } from './tls-server.js'
import { waitFor } from './wait.js'

/** Names the servers of a site (the keys of {@link SiteHandle} that hold them). */
export type SiteServerName = 'bastion' | 'middle' | 'inner' | 'innerDropbear' | 'postgres' | 'https'

/** Options for one of the site's sshd servers (the site picks the namespace and port). */
export type SiteSshdOptions = Omit<SshdOptions, 'netns' | 'port'>

/** Configures {@link startSite}. */
export interface SiteOptions {
  /** Options of the bastion sshd (the only server the host can reach, through the relay). */
  bastion?: SiteSshdOptions
  /** Options of the middle sshd (for 3-hop chains: bastion → middle → inner). */
  middle?: SiteSshdOptions
  /** Options of the inner sshd. */
  inner?: SiteSshdOptions
  /** Options of the inner Dropbear. */
  innerDropbear?: Omit<DropbearOptions, 'netns' | 'port'>
  /** Options of PostgreSQL (`unix_socket_directories` is '' unless these set it). */
  postgres?: Omit<PostgresOptions, 'netns' | 'port'>
  /** Give up waiting for each server after this many milliseconds (default 15 000). */
  readyTimeoutMs?: number
}

/**
 * Describes one SSH server of a site, as a client in the host's namespace uses it: a server
 * handle without `close` (the site closes its servers), where `host` is '127.0.0.1' — the host's
 * loopback for the bastion, the site's for the others — and `port` is what a client dials (the
 * bastion's relay on the host; the in-site port for the others, reached through a jump).
 * `knownHostsLines`/`knownHostsFile` name `[host]:port` as the client checks it.
 */
export interface SiteSshServer extends Omit<SshServerHandle, 'close' | typeof Symbol.asyncDispose | 'netns'> {
  /** Its port on the site's 127.0.0.1 (for all but the bastion, the same as `port`). */
  readonly innerPort: number
}

/** Describes the site's PostgreSQL server (reachable only from inside the site). */
export interface SitePostgres {
  /** '127.0.0.1' inside the site. */
  readonly host: string
  readonly port: number
  readonly user: string
  readonly password: string
  readonly database: string
  readonly pid: number
  /** The directory of `psql`, `pg_isready`, … */
  readonly binDir: string
  readonly dir: string
  readonly logPath: string
  log(): Promise<string>
}

/** Describes the site's HTTPS server (reachable only from inside the site). */
export interface SiteHttps {
  /** '127.0.0.1' inside the site. */
  readonly host: string
  readonly port: number
  /** Its self-signed certificate (PEM), valid for 127.0.0.1 and localhost. */
  readonly ca: string
  /** What `GET /` answers. */
  readonly body: string
}

/** Controls a running isolated site; see {@link startSite}. */
export interface SiteHandle {
  /** The network namespace's name (`ip netns list`), `xssh-site-<pid>-<n>`. */
  readonly netns: string
  /** The bastion sshd: `host`/`port` are its relay on the host, `innerPort` its port in the site. */
  readonly bastion: SiteSshServer
  /** The middle sshd, for 3-hop chains. */
  readonly middle: SiteSshServer
  /** The inner sshd. */
  readonly inner: SiteSshServer
  /** The inner Dropbear. */
  readonly innerDropbear: SiteSshServer
  readonly postgres: SitePostgres
  readonly https: SiteHttps
  /**
   * ONE known_hosts file with every SSH server under the name a client checks it by: the
   * bastion as `[127.0.0.1]:<relay port>`, the others as `[127.0.0.1]:<in-site port>`.
   */
  readonly knownHostsFile: string
  /** The lines of `knownHostsFile`. */
  readonly knownHostsLines: readonly string[]
  /**
   * An ssh_config for the OpenSSH client (`ssh -F`): `Host *` with the test user, the ed25519
   * client key (IdentitiesOnly), `knownHostsFile` with StrictHostKeyChecking yes, BatchMode.
   * `ssh -J` hands `-F` (and only that, not `-o`/`-i`) to the ssh it runs for each jump.
   */
  readonly sshConfigFile: string
  /** Every temp dir the site made (its own and its servers'); `close()` removes them all. */
  readonly dirs: readonly string[]
  /**
   * Relays one more in-site port to a fresh port on the host's loopback (closed with the
   * site, or earlier by the caller).
   */
  expose(port: number): Promise<NetnsRelayHandle>
  /**
   * Proves the site is isolated: resolves true when a TCP connect from the host's namespace
   * to 127.0.0.1:<port> is refused for EVERY in-site port (bastion's inner port, middle,
   * inner, inner Dropbear, PostgreSQL, HTTPS).
   */
  directConnectFails(): Promise<boolean>
  /**
   * Silently partitions the site: every IPv4 packet to or from the in-site ports of `targets`
   * (default: 'inner' and 'innerDropbear') is dropped on the namespace's loopback (`tc`: an
   * htb root qdisc whose u32 filters send those packets to a class with a zero-length
   * queue). No RST, no ICMP, no error: established connections stall, new connects hang.
   * Adds to an earlier partition.
   */
  partition(targets?: readonly SiteServerName[]): Promise<void>
  /** Ends every partition (removes the qdisc); stalled connections resume on retransmit. */
  heal(): Promise<void>
  /** Lists every live process of the site: daemons, relays, their children, anything in the namespace. */
  pids(): Promise<number[]>
  /**
   * Kills every process (daemons, relays, their children, anything left in the namespace),
   * deletes the namespace and removes the temp dirs; idempotent and bounded.
   */
  close(): Promise<void>
  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>
}

const SITE_PREFIX = 'xssh-site-'
let siteCounter = 0

/**
 * Starts an isolated site for gateway tests (DESIGN.md §4): a fresh network namespace with
 * its own loopback, and inside it, on ITS 127.0.0.1, a bastion sshd, a middle sshd, an inner
 * sshd, an inner Dropbear, PostgreSQL and an HTTPS server, each on its own port. The host
 * reaches only the bastion, through a socat relay on the host's 127.0.0.1; the in-site ports
 * are picked free on the host's loopback too (and outside its ephemeral range), so a direct
 * connect from the host to them is refused. Takes about a second.
 *
 * @example
 * ```ts
 * await using site = await startSite()
 * expect(await site.directConnectFails()).toBe(true)
 * // ssh -F site.sshConfigFile -J xssh-test@127.0.0.1:<site.bastion.port> -p <site.inner.port> xssh-test@127.0.0.1 hostname
 * ```
 * @throws Error when not root; ServerStartError when a server does not come up (everything
 *   started so far is stopped and the namespace deleted first).
 */
export async function startSite(options: SiteOptions = {}): Promise<SiteHandle> {
  await pruneStaleSites()
  const netns = `${SITE_PREFIX}${process.pid}-${++siteCounter}`
  const readyTimeoutMs = options.readyTimeoutMs ?? 15_000
  const undo: Array<() => Promise<void>> = []
  const unwind = async (): Promise<void> => {
    for (const step of undo.reverse()) await step().catch(() => {})
  }
  try {
    await createNetns(netns)
    undo.push(() => deleteNetns(netns))
    const dir = await makeTempDir('site')
    undo.push(() => removeTempDir(dir))
    const [bastionPort = 0, middlePort = 0, innerPort = 0, dropbearPort = 0, postgresPort = 0, httpsPort = 0] =
      await unusedHostPorts(6)
    const sshd = (o: SiteSshdOptions | undefined, port: number): Promise<SshdHandle> =>
      startSshd({ readyTimeoutMs, ...o, netns, port })
    const started = await Promise.allSettled([
      sshd(options.bastion, bastionPort),
      sshd(options.middle, middlePort),
      sshd(options.inner, innerPort),
      startDropbear({ readyTimeoutMs, ...options.innerDropbear, netns, port: dropbearPort }),
      startPostgres({
        readyTimeoutMs,
        ...options.postgres,
        // No Unix socket: a file would let the host in around the namespace.
        settings: { unix_socket_directories: '', ...options.postgres?.settings },
        netns,
        port: postgresPort,
      }),
      startTlsHttpsServer({ netns, port: httpsPort }),
    ])
    for (const result of started) {
      if (result.status === 'fulfilled') undo.push(() => result.value.close())
    }
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
    const [bastion, middle, inner, innerDropbear, postgres, https] = started.map(
      (r) => (r as PromiseFulfilledResult<unknown>).value,
    ) as [SshdHandle, SshdHandle, SshdHandle, DropbearHandle, PostgresHandle, HttpsServerHandle]

    const relays: NetnsRelayHandle[] = []
    const closeRelays = async (): Promise<void> => {
      await Promise.allSettled(relays.map((r) => r.close()))
    }
    undo.push(closeRelays)
    const relay = await startNetnsRelay({ netns, targetPort: bastion.port, readyTimeoutMs })
    relays.push(relay)
    // End to end: host → relay → bastion answers; then let the probe's processes go away, so
    // connectionPids() starts empty.
    await waitFor(() => answersSsh(relay.port), { timeoutMs: readyTimeoutMs, description: 'the bastion through its relay' })
    await waitFor(async () => relay.connectionPids().length === 0 && (await bastion.connectionPids()).length === 0, {
      timeoutMs: 3000,
    }).catch(() => {})

    const bastionView = siteServer(bastion, relay.port, dir)
    const views = [bastionView, siteServer(middle), siteServer(inner), siteServer(innerDropbear)] as const
    const knownHostsFile = join(dir, 'known_hosts')
    const allLines = views.flatMap((v) => v.knownHostsLines)
    await writeFile(knownHostsFile, allLines.map((l) => `${l}\n`).join(''))
    await writeFile(bastionView.knownHostsFile, bastionView.knownHostsLines.map((l) => `${l}\n`).join(''))
    const sshConfigFile = join(dir, 'ssh_config')
    await writeFile(sshConfigFile, sshConfigText(bastion, knownHostsFile))

    const portOf: Record<SiteServerName, number> = {
      bastion: bastion.port,
      middle: middle.port,
      inner: inner.port,
      innerDropbear: innerDropbear.port,
      postgres: postgres.port,
      https: https.port,
    }
    const daemons = [bastion.pid, middle.pid, inner.pid, innerDropbear.pid, postgres.pid]
    const partitioned = new Set<number>()

    let closing: Promise<void> | undefined
    const close = (): Promise<void> =>
      (closing ??= (async () => {
        const errors: unknown[] = []
        const settle = async (steps: Array<Promise<unknown>>): Promise<void> => {
          for (const r of await Promise.allSettled(steps)) if (r.status === 'rejected') errors.push(r.reason)
        }
        await settle(relays.map((r) => r.close()))
        await settle([bastion, middle, inner, innerDropbear, postgres, https].map((s) => s.close()))
        await settle([deleteNetns(netns)])
        await removeTempDir(dir)
        if (errors.length > 0) throw new AggregateError(errors, `closing site ${netns}: ${errors.map(String).join('; ')}`)
      })())

    const site: SiteHandle = {
      netns,
      bastion: bastionView,
      middle: views[1],
      inner: views[2],
      innerDropbear: views[3],
      postgres: {
        host: postgres.host,
        port: postgres.port,
        user: postgres.user,
        password: postgres.password,
        database: postgres.database,
        pid: postgres.pid,
        binDir: postgres.binDir,
        dir: postgres.dir,
        logPath: postgres.logPath,
        log: () => postgres.log(),
      },
      https: { host: https.host, port: https.port, ca: https.ca, body: https.body },
      knownHostsFile,
      knownHostsLines: allLines,
      sshConfigFile,
      get dirs() {
        return [dir, bastion.dir, middle.dir, inner.dir, innerDropbear.dir, postgres.dir, ...relays.map((r) => r.dir)]
      },
      expose: async (port) => {
        if (closing) throw new Error(`site ${netns} is closed`)
        const exposed = await startNetnsRelay({ netns, targetPort: port, readyTimeoutMs })
        relays.push(exposed)
        return exposed
      },
      directConnectFails: async () => {
        const refused = await Promise.all(Object.values(portOf).map((port) => hostConnectRefused(port)))
        return refused.every(Boolean)
      },
      partition: async (targets = ['inner', 'innerDropbear']) => {
        for (const target of targets) partitioned.add(portOf[target])
        await applyPartition(netns, partitioned)
      },
      heal: async () => {
        partitioned.clear()
        await applyPartition(netns, partitioned)
      },
      pids: async () => {
        const roots = [...daemons, ...relays.map((r) => r.pid)]
        const all = new Set([...roots, ...roots.flatMap(descendantPids), ...(await netnsPids(netns))])
        return [...all].filter(isProcessAlive)
      },
      close,
      [Symbol.asyncDispose]: close,
    }
    return site
  } catch (err) {
    await unwind()
    throw err
  }
}

/** Returns a server's site view: dialled at `dialPort` (default: its in-site port). */
function siteServer(server: SshdHandle | DropbearHandle, dialPort?: number, dir?: string): SiteSshServer {
  const port = dialPort ?? server.port
  const relayed = dialPort !== undefined && dir !== undefined
  return {
    kind: server.kind,
    host: LOOPBACK,
    port,
    innerPort: server.port,
    user: server.user,
    password: server.password,
    pid: server.pid,
    clientKeys: server.clientKeys,
    hostKeys: server.hostKeys,
    knownHostsLines: relayed ? renderKnownHostsLines(LOOPBACK, port, server.hostKeys) : server.knownHostsLines,
    knownHostsFile: relayed ? join(dir, 'bastion_known_hosts') : server.knownHostsFile,
    dir: server.dir,
    logPath: server.logPath,
    log: () => server.log(),
    connectionPids: () => server.connectionPids(),
  }
}

function sshConfigText(server: SshdHandle, knownHostsFile: string): string {
  return [
    '# Written by @x/testbed for one isolated site; removed with it.',
    'Host *',
    `  User ${server.user}`,
    `  IdentityFile ${server.clientKeys.ed25519.privatePath}`,
    '  IdentitiesOnly yes',
    `  UserKnownHostsFile ${knownHostsFile}`,
    '  GlobalKnownHostsFile /dev/null',
    '  StrictHostKeyChecking yes',
    '  BatchMode yes',
    '  ConnectTimeout 10',
    '',
  ].join('\n')
}

/**
 * Makes the namespace's loopback drop every IPv4 packet to or from `ports` (none: remove the
 * qdisc). lo is `noqueue` by default; an htb root qdisc sends what no filter matches to an
 * unlimited class 1:1, and the u32 filters send the partitioned ports to class 1:2, whose
 * pfifo holds 0 packets: each is dropped on enqueue. (This kernel has htb, pfifo and u32 but
 * no prio/netem qdisc and no gact "drop" action.)
 */
async function applyPartition(netns: string, ports: ReadonlySet<number>): Promise<void> {
  const tc = (args: string[], allowFailure = false) =>
    runCommand(TC, ['-netns', netns, ...args], { allowFailure, timeoutMs: 10_000 })
  await tc(['qdisc', 'del', 'dev', 'lo', 'root'], true) // fails when there is none: fine
  if (ports.size === 0) return
  await tc(['qdisc', 'add', 'dev', 'lo', 'root', 'handle', '1:', 'htb', 'default', '1'])
  await tc(['class', 'add', 'dev', 'lo', 'parent', '1:', 'classid', '1:1', 'htb', 'rate', '100gbit', 'quantum', '200000'])
  await tc(['class', 'add', 'dev', 'lo', 'parent', '1:', 'classid', '1:2', 'htb', 'rate', '1mbit', 'quantum', '1514'])
  await tc(['qdisc', 'add', 'dev', 'lo', 'parent', '1:2', 'handle', '2:', 'pfifo', 'limit', '0'])
  for (const port of ports) {
    for (const field of ['dport', 'sport']) {
      await tc(['filter', 'add', 'dev', 'lo', 'parent', '1:', 'protocol', 'ip', 'prio', '1',
        'u32', 'match', 'ip', field, String(port), '0xffff', 'flowid', '1:2'])
    }
  }
}

/**
 * Deletes the namespaces of sites whose test process died without closing them
 * (`xssh-site-<pid>-<n>` with no live <pid>), with whatever still runs in them.
 */
async function pruneStaleSites(): Promise<void> {
  for (const name of await listNetns()) {
    const match = /^xssh-site-(\d+)-\d+$/.exec(name)
    if (match && Number(match[1]) !== process.pid && !isProcessAlive(Number(match[1]))) {
      await deleteNetns(name).catch(() => {})
    }
  }
}
