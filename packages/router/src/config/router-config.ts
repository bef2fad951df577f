/**
 * The router's config file (YAML): sshproxy 2.x keys with sshproxy's semantics, plus the keys a
 * router that is its own SSH server needs (listen, host_keys, front_auth, upstream). Parsed in
 * full before anything starts: the first thing wrong is refused with `file:line:column`.
 */
import { readFile } from 'node:fs/promises'
import { BlockList, isIP } from 'node:net'
import { dirname, isAbsolute, resolve } from 'node:path'
import { cleanHostname, splitHostPort } from '@x/transport'
import { LineCounter, parseDocument } from 'yaml'
import { parseDuration } from '../duration.js'
import { expandNodeset, NodesetError } from '../nodeset.js'
import { RouterConfigError } from './config-error.js'
import type { HostPort, MatchClause, Override, RouteMode, RouteSelect, RouteSettings } from './route-settings.js'
import { YamlReader, type YamlNode } from './yaml-reader.js'

/** How clients log in to the router. */
export interface FrontAuthConfig {
  /** authorized_keys path with sshd's tokens (`%u` user, `%U` uid, `%h` home, `%%`); absolute. */
  readonly authorizedKeys?: string | undefined
  /** A file of `user:$scrypt$…` lines (x-sshd hash-password); absolute. */
  readonly passwords?: string | undefined
}

/** How the router logs in to the pool's hosts. */
export interface UpstreamConfig {
  /** The account on the host; default the client's user. */
  readonly user?: string | undefined
  /** The router's private key file for the hosts; absolute. */
  readonly identity?: string | undefined
  /** The hosts' keys (OpenSSH known_hosts), checked strictly: an unknown or changed key refuses. Absolute. */
  readonly knownHosts: string
  /** A bastion the pool sits behind (ProxyJump syntax). */
  readonly proxyJump?: string | undefined
}

/** The shared state store (sshproxy's `etcd`). */
export interface EtcdConfig {
  /** `host:port` or `http(s)://host:port` of each member. */
  readonly endpoints: readonly string[]
  /** Lease TTL of an instance's live entries, in ms (default 5 s): a dead instance's entries vanish within it. */
  readonly keyTtlMs: number
  /** true: refuse new connections while etcd is unreachable; false (default): fall back to memory with a warning. */
  readonly mandatory: boolean
  /** TLS to etcd: the CA to trust, and a client certificate and key (absolute paths). */
  readonly tls?: { readonly caFile?: string | undefined; readonly certFile?: string | undefined; readonly keyFile?: string | undefined } | undefined
  /** etcd's user, with `password`. */
  readonly username?: string | undefined
  /** etcd's password; never shown in a message. */
  readonly password?: string | undefined
}

/** A parsed, checked config. */
export interface RouterConfig {
  /** The file it was read from, if any. */
  readonly file: string | undefined
  /** The addresses to listen on, each one a service clients reach (`sources` in overrides). */
  readonly listen: readonly HostPort[]
  /** The router's own host key files; absolute. */
  readonly hostKeys: readonly string[]
  /** How clients log in. */
  readonly frontAuth: FrontAuthConfig
  /** How the router logs in to the hosts. */
  readonly upstream: UpstreamConfig
  /** The shared store; undefined: the memory store of one instance. */
  readonly etcd: EtcdConfig | undefined
  /** The top-level route settings, before overrides. */
  readonly settings: RouteSettings
  /** The overrides, in file order. */
  readonly overrides: readonly Override[]
}

const ROUTE_KEYS = ['service', 'dest', 'route_select', 'mode', 'check_interval', 'max_connections_per_user', 'error_banner', 'environment', 'etcd_keyttl'] as const
const TOP_KEYS = ['listen', 'host_keys', 'front_auth', 'upstream', 'etcd', 'overrides', ...ROUTE_KEYS] as const
const SELECTS: readonly RouteSelect[] = ['ordered', 'random', 'connections', 'bandwidth', 'round-robin']
const MODES: readonly RouteMode[] = ['sticky', 'balanced']

/** The defaults of sshproxy 2.x for what the top level leaves out. */
const DEFAULTS: RouteSettings = {
  service: 'default',
  dest: [],
  routeSelect: 'ordered',
  mode: 'sticky',
  checkIntervalMs: 0,
  maxConnectionsPerUser: 0,
  errorBanner: '',
  environment: {},
  stickyTtlMs: 0,
}

/**
 * Parses one config's text; `file` names it in messages and anchors its relative paths.
 * @throws RouterConfigError at the first thing wrong.
 */
export function parseRouterConfig(text: string, file?: string): RouterConfig {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true })
  const r = new YamlReader(file, lines)
  const err = doc.errors[0]
  if (err) {
    // yaml's own words (it quotes no value with prettyErrors off); a nodeset in a flow list
    // (`dest: [n[1-2]]`) is the usual cause of a bracket complaint, so that gets a hint.
    const hint = /flow|\]/i.test(err.message) ? ' (a nodeset inside [ ] must be quoted: ["n[1-2]"])' : ''
    const what = err.code === 'DUPLICATE_KEY' ? 'a key is given twice' : `not valid YAML: ${err.message.split('\n')[0]}${hint}`
    throw new RouterConfigError(what, { file, ...r.at(err.pos[0]) })
  }
  return new ConfigParser(r, file).parse(doc.contents as YamlNode)
}

/** Reads and parses the config file at `path`. @throws RouterConfigError (also when the file cannot be read, at line 1). */
export async function loadRouterConfig(path: string): Promise<RouterConfig> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new RouterConfigError(`cannot read the config (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { file: path, line: 1, column: 1 }, { cause: err })
  }
  return parseRouterConfig(text, resolve(path))
}

class ConfigParser {
  readonly #r: YamlReader
  readonly #file: string | undefined
  readonly #base: string

  constructor(r: YamlReader, file: string | undefined) {
    this.#r = r
    this.#file = file
    this.#base = file === undefined ? process.cwd() : dirname(resolve(file))
  }

  parse(root: YamlNode): RouterConfig {
    const r: YamlReader = this.#r
    if (root === null) r.fail(root, 'the config is empty')
    const top = r.map(root, 'the config', TOP_KEYS)
    const need = (key: string) => {
      const e = top.get(key)
      if (!e) r.fail(root, `"${key}" is required`)
      return e.value
    }
    // Port 0 listens on a free port (x-ssh-router serve prints the one chosen).
    const listen = r.list(need('listen'), 'listen').map((n) => this.#hostPort(n, 'listen', undefined, true))
    if (listen.length === 0) r.fail(top.get('listen')!.value, 'listen needs at least one address')
    const hostKeys = r.list(need('host_keys'), 'host_keys').map((n) => this.#path(n, 'host_keys'))
    if (hostKeys.length === 0) r.fail(top.get('host_keys')!.value, 'host_keys needs at least one key file')
    const frontAuth = this.#frontAuth(need('front_auth'))
    const upstream = this.#upstream(need('upstream'))
    const etcdEntry = top.get('etcd')
    const etcd = etcdEntry ? this.#etcd(etcdEntry.value) : undefined
    const settings: RouteSettings = { ...DEFAULTS, ...this.#routeSettings(top) }
    const overridesEntry = top.get('overrides')
    const overrides = overridesEntry ? r.list(overridesEntry.value, 'overrides', false).map((n, i) => this.#override(n, i)) : []
    return { file: this.#file, listen, hostKeys, frontAuth, upstream, etcd, settings, overrides }
  }

  /** A `host:port`; `defaultPort` undefined makes the port required. */
  #hostPort(node: YamlNode, name: string, defaultPort: number | undefined, allowPortZero = false): HostPort {
    const text = this.#r.text(node, name).trim()
    return this.#splitHostPort(node, name, text, defaultPort, allowPortZero)
  }

  #splitHostPort(node: YamlNode, name: string, text: string, defaultPort: number | undefined, allowPortZero = false): HostPort {
    const split = splitHostPort(text)
    if (!split || split.delim === '/' || split.host === '' || (split.host.startsWith('[') && !isIP(cleanHostname(split.host)))) this.#r.fail(node, `${name}: "${text}" is not host:port`)
    const host = cleanHostname(split.host)
    if (split.rest === undefined && defaultPort === undefined) this.#r.fail(node, `${name}: "${text}" needs a port`)
    const port = split.rest === undefined ? defaultPort! : Number(split.rest)
    const min = allowPortZero ? 0 : 1
    if (!/^\d+$/.test(split.rest ?? '22') || !Number.isInteger(port) || port < min || port > 65535) this.#r.fail(node, `${name}: "${text}" has no valid port (${min}–65535)`)
    if (!isIP(host) && !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(host)) this.#r.fail(node, `${name}: "${host}" is not a host name or address`)
    return { host, port, text: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}` }
  }

  /** A nodeset, expanded, or its error placed at the bracket at fault. */
  #nodeset(node: YamlNode, name: string): string[] {
    const text = this.#r.text(node, name)
    try {
      return expandNodeset(text)
    } catch (err) {
      if (!(err instanceof NodesetError)) throw err
      // A plain scalar starts where its text does; a quoted one a character before.
      const quoted = (node as { type?: string } | null)?.type?.startsWith('QUOTE') === true
      this.#r.fail(node, `${name}: ${err.message}`, err.offset + (quoted ? 1 : 0))
    }
  }

  #path(node: YamlNode, name: string): string {
    const p = this.#r.string(node, name)
    if (p === '') this.#r.fail(node, `${name} is an empty path`)
    return isAbsolute(p) ? p : resolve(this.#base, p)
  }

  #frontAuth(node: YamlNode): FrontAuthConfig {
    const m = this.#r.map(node, 'front_auth', ['authorized_keys', 'passwords'])
    const keys = m.get('authorized_keys')
    const passwords = m.get('passwords')
    if (!keys && !passwords) this.#r.fail(node, 'front_auth needs authorized_keys, passwords or both')
    let authorizedKeys: string | undefined
    if (keys) {
      authorizedKeys = this.#path(keys.value, 'front_auth.authorized_keys')
      const bad = /%[^%uUh]|%$/.exec(authorizedKeys.replaceAll('%%', ''))
      if (bad) this.#r.fail(keys.value, `front_auth.authorized_keys: unknown token "${bad[0]}" (known: %u, %U, %h, %%)`)
    }
    return { authorizedKeys, passwords: passwords ? this.#path(passwords.value, 'front_auth.passwords') : undefined }
  }

  #upstream(node: YamlNode): UpstreamConfig {
    const m = this.#r.map(node, 'upstream', ['user', 'identity', 'known_hosts', 'proxy_jump'])
    const kh = m.get('known_hosts')
    if (!kh) this.#r.fail(node, 'upstream.known_hosts is required: host keys are always checked')
    const user = m.get('user')
    const identity = m.get('identity')
    const jump = m.get('proxy_jump')
    return {
      user: user ? this.#r.string(user.value, 'upstream.user') : undefined,
      identity: identity ? this.#path(identity.value, 'upstream.identity') : undefined,
      knownHosts: this.#path(kh.value, 'upstream.known_hosts'),
      proxyJump: jump ? this.#r.string(jump.value, 'upstream.proxy_jump') : undefined,
    }
  }

  #etcd(node: YamlNode): EtcdConfig {
    const r: YamlReader = this.#r
    const m = r.map(node, 'etcd', ['endpoints', 'keyttl', 'mandatory', 'tls', 'username', 'password'])
    const ep = m.get('endpoints')
    if (!ep) r.fail(node, 'etcd.endpoints is required')
    const endpoints = r.list(ep.value, 'etcd.endpoints').map((n) => {
      const t = r.text(n, 'etcd.endpoints').trim()
      const bare = t.replace(/^https?:\/\//, '')
      this.#splitHostPort(n, 'etcd.endpoints', bare, undefined)
      return t
    })
    if (endpoints.length === 0) r.fail(ep.value, 'etcd.endpoints needs at least one endpoint')
    const ttl = m.get('keyttl')
    const tlsEntry = m.get('tls')
    let tls: EtcdConfig['tls']
    if (tlsEntry) {
      const t = r.map(tlsEntry.value, 'etcd.tls', ['cafile', 'certfile', 'keyfile'])
      const file = (k: string) => {
        const e = t.get(k)
        return e ? this.#path(e.value, `etcd.tls.${k}`) : undefined
      }
      tls = { caFile: file('cafile'), certFile: file('certfile'), keyFile: file('keyfile') }
      if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) r.fail(tlsEntry.value, 'etcd.tls needs certfile and keyfile together')
    }
    const username = m.get('username')
    const password = m.get('password')
    if ((username === undefined) !== (password === undefined)) r.fail(node, 'etcd needs username and password together')
    return {
      endpoints,
      keyTtlMs: ttl ? this.#duration(ttl.value, 'etcd.keyttl', 1) : 5_000,
      mandatory: m.has('mandatory') ? r.boolean(m.get('mandatory')!.value, 'etcd.mandatory') : false,
      tls,
      username: username ? r.string(username.value, 'etcd.username') : undefined,
      // Named, never shown: the reader's messages hold no value.
      password: password ? r.string(password.value, 'etcd.password') : undefined,
    }
  }

  #duration(node: YamlNode, name: string, minMs = 0): number {
    const v = this.#r.scalar(node, name)
    let ms: number
    try {
      ms = parseDuration(v)
    } catch (err) {
      this.#r.fail(node, `${name}: ${(err as Error).message}`)
    }
    if (ms < minMs) this.#r.fail(node, `${name} must be at least ${minMs} ms`)
    return ms
  }

  /** The route settings present in the map `m` (top level or an override). */
  #routeSettings(m: Map<string, { key: unknown; value: YamlNode }>): Partial<RouteSettings> {
    const r: YamlReader = this.#r
    const out: { -readonly [K in keyof RouteSettings]?: RouteSettings[K] } = {}
    const get = (k: (typeof ROUTE_KEYS)[number]) => m.get(k)?.value
    if (m.has('service')) {
      out.service = r.string(get('service')!, 'service')
      if (!/^[\w.@-]+$/.test(out.service)) r.fail(get('service')!, 'service must be a name of letters, digits, ".", "@", "_" or "-"')
    }
    if (m.has('dest')) {
      const seen = new Map<string, HostPort>()
      for (const n of r.list(get('dest')!, 'dest')) {
        for (const name of this.#nodeset(n, 'dest')) {
          const hp = this.#splitHostPort(n, 'dest', name, 22)
          seen.set(hp.text, hp)
        }
      }
      out.dest = [...seen.values()]
    }
    if (m.has('route_select')) out.routeSelect = this.#choice(get('route_select')!, 'route_select', SELECTS)
    if (m.has('mode')) out.mode = this.#choice(get('mode')!, 'mode', MODES)
    if (m.has('check_interval')) out.checkIntervalMs = this.#duration(get('check_interval')!, 'check_interval')
    if (m.has('max_connections_per_user')) out.maxConnectionsPerUser = r.integer(get('max_connections_per_user')!, 'max_connections_per_user', 0, 1_000_000)
    if (m.has('error_banner')) out.errorBanner = r.string(get('error_banner')!, 'error_banner')
    if (m.has('etcd_keyttl')) out.stickyTtlMs = this.#duration(get('etcd_keyttl')!, 'etcd_keyttl')
    if (m.has('environment')) {
      const envNode = get('environment')!
      const env: Record<string, string> = {}
      for (const [name, e] of r.map(envNode, 'environment', undefined)) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) r.fail(e.key, `environment: "${name}" is not a variable name`)
        env[name] = r.text(e.value, `environment.${name}`)
      }
      out.environment = env
    }
    return out
  }

  #choice<T extends string>(node: YamlNode, name: string, choices: readonly T[]): T {
    const v = this.#r.string(node, name)
    if (!(choices as readonly string[]).includes(v)) this.#r.fail(node, `${name} must be one of ${choices.join(', ')}`)
    return v as T
  }

  #override(node: YamlNode, index: number): Override {
    const r: YamlReader = this.#r
    const m = r.map(node, `overrides[${index}]`, ['match', ...ROUTE_KEYS])
    const match = m.get('match')
    if (!match) r.fail(node, `overrides[${index}] needs a match`)
    const clauses = r.list(match.value, `overrides[${index}].match`, false).map((n, j) => this.#clause(n, `overrides[${index}].match[${j}]`))
    if (clauses.length === 0) r.fail(match.value, `overrides[${index}].match is empty: it would never apply`)
    const settings = this.#routeSettings(m)
    if (Object.keys(settings).length === 0) r.fail(node, `overrides[${index}] changes nothing`)
    return { line: r.where(node).line, match: clauses, settings }
  }

  #clause(node: YamlNode, name: string): MatchClause {
    const r: YamlReader = this.#r
    const m = r.map(node, name, ['users', 'groups', 'sources', 'clients'])
    if (m.size === 0) r.fail(node, `${name} is empty`)
    const names = (k: string) => {
      const e = m.get(k)
      return e ? r.list(e.value, `${name}.${k}`).map((n) => r.text(n, `${name}.${k}`)) : undefined
    }
    const sourcesEntry = m.get('sources')
    const sources = sourcesEntry
      ? r.list(sourcesEntry.value, `${name}.sources`).flatMap((n) => this.#nodeset(n, `${name}.sources`).map((s) => {
          const hp = this.#splitHostPort(n, `${name}.sources`, s, 22)
          return { host: hp.host, port: splitHostPort(s)?.rest === undefined ? undefined : hp.port }
        }))
      : undefined
    const clientsEntry = m.get('clients')
    let clients: BlockList | undefined
    if (clientsEntry) {
      clients = new BlockList()
      for (const n of r.list(clientsEntry.value, `${name}.clients`)) {
        const t = r.text(n, `${name}.clients`).trim()
        const [addr, prefix, extra] = t.split('/')
        const family = isIP(addr ?? '')
        const bits = prefix === undefined ? (family === 6 ? 128 : 32) : Number(prefix)
        if (family === 0 || extra !== undefined || !/^\d*$/.test(prefix ?? '') || !Number.isInteger(bits) || bits < 0 || bits > (family === 6 ? 128 : 32)) {
          r.fail(n, `${name}.clients: "${t}" is not an address or CIDR range`)
        }
        clients.addSubnet(addr!, bits, family === 6 ? 'ipv6' : 'ipv4')
      }
    }
    return { users: names('users'), groups: names('groups'), sources, clients }
  }
}
