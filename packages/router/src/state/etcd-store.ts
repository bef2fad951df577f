/**
 * Routing state in a real etcd v3 cluster (through the `etcd3` client), shared by every router
 * instance that names it: live connections and places under the per-user limit held under one
 * lease per instance (kept alive while the instance runs, so a dead instance's entries vanish
 * within `keyttl`), sticky history under leases of its own, and host records without lease.
 * Every call is bounded; a failure is a {@link RouterStoreError} whose message names the
 * endpoints, never the password.
 */
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { Etcd3, type IOptions, type Lease, type Namespace } from 'etcd3'
import type { EtcdConfig } from '../config/router-config.js'
import { connectionKey, CONNECTIONS, historyKey, hostKey, HOSTS, slotKey, userServicePrefix } from './etcd-keys.js'
import { RouterStoreError, type ConnectionClaim, type ConnectionFilter, type ConnectionTicket, type HostRecord, type LiveConnection, type RouterStore } from './router-store.js'

/** Options of {@link EtcdStore.open}. */
export interface EtcdStoreOptions {
  /** The key prefix; default `/x-ssh-router/`. */
  readonly prefix?: string | undefined
  /** This instance's id; default a random one. */
  readonly instance?: string | undefined
  /** Bound of each call, in ms; default 2 000. */
  readonly timeoutMs?: number | undefined
}

/** The default key prefix. */
export const DEFAULT_ETCD_PREFIX = '/x-ssh-router/'

interface Held {
  record: LiveConnection
  slot: number | undefined
  released: boolean
}

function endpointUrl(e: string): string {
  return /^https?:\/\//.test(e) ? e : `http://${e}`
}

/** A {@link RouterStore} in etcd. */
export class EtcdStore implements RouterStore {
  readonly kind = 'etcd'
  readonly instance: string
  readonly #client: Etcd3
  readonly #ns: Namespace
  readonly #ttlSeconds: number
  readonly #timeoutMs: number
  readonly #where: string
  readonly #secret: string | undefined
  readonly #held = new Map<string, Held>()
  #lease: Lease | undefined
  #leaseReady: Promise<Lease> | undefined
  #next = 0
  #closed = false

  private constructor(client: Etcd3, config: EtcdConfig, options: EtcdStoreOptions) {
    this.#client = client
    this.#ns = client.namespace(options.prefix ?? DEFAULT_ETCD_PREFIX)
    this.#ttlSeconds = Math.max(2, Math.ceil(config.keyTtlMs / 1000))
    this.#timeoutMs = options.timeoutMs ?? 2_000
    this.#where = config.endpoints.join(',')
    this.#secret = config.password
    this.instance = options.instance ?? randomBytes(4).toString('hex')
  }

  /**
   * Connects to `config.endpoints` and takes this instance's lease.
   * @throws RouterStoreError when etcd does not answer within the bound.
   */
  static async open(config: EtcdConfig, options: EtcdStoreOptions = {}): Promise<EtcdStore> {
    const timeoutMs = options.timeoutMs ?? 2_000
    const o: IOptions = {
      hosts: config.endpoints.map(endpointUrl),
      dialTimeout: timeoutMs,
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeoutMs }),
      ...(config.username !== undefined && config.password !== undefined ? { auth: { username: config.username, password: config.password } } : {}),
    }
    if (config.tls) {
      const read = (p: string | undefined) => (p === undefined ? undefined : readFile(p))
      const [ca, key, cert] = await Promise.all([read(config.tls.caFile), read(config.tls.keyFile), read(config.tls.certFile)])
      o.credentials = { rootCertificate: ca ?? Buffer.alloc(0), ...(key ? { privateKey: key } : {}), ...(cert ? { certChain: cert } : {}) }
    }
    const store = new EtcdStore(new Etcd3(o), config, options)
    try {
      await store.#call('take a lease', () => store.#takeLease())
    } catch (err) {
      await store.close()
      throw err
    }
    return store
  }

  async admit(claim: ConnectionClaim, limit: number): Promise<ConnectionTicket | null> {
    const id = `${this.instance}-${++this.#next}`
    const record: LiveConnection = { ...claim, id, instance: this.instance, startedAt: Date.now(), bytesInRate: 0, bytesOutRate: 0 }
    const slot = await this.#call('admit a connection', async () => {
      const lease = await this.#takeLease()
      const key = connectionKey(claim.user, claim.service, claim.host, id)
      if (limit <= 0) {
        await lease.put(key).value(JSON.stringify(record))
        return -1
      }
      for (let n = 0; n < limit; n++) {
        const sk = slotKey(claim.user, n)
        // Atomic: the place is taken only if nobody holds it, together with the entry.
        const r = await this.#ns.if(sk, 'Create', '==', 0).then(lease.put(sk).value(id), lease.put(key).value(JSON.stringify(record))).commit()
        if (r.succeeded) return n
      }
      return undefined
    })
    if (slot === undefined) return null
    const held: Held = { record, slot: slot < 0 ? undefined : slot, released: false }
    this.#held.set(id, held)
    return {
      get record() {
        return held.record
      },
      updateRates: async (bytesInRate, bytesOutRate) => {
        if (held.released) return
        held.record = { ...held.record, bytesInRate, bytesOutRate }
        await this.#call('update rates', async () => {
          const lease = await this.#takeLease()
          await lease.put(connectionKey(claim.user, claim.service, claim.host, id)).value(JSON.stringify(held.record))
        })
      },
      release: async (stickyTtlMs) => {
        if (held.released) return
        held.released = true
        this.#held.delete(id)
        if (this.#closed) return
        await this.#call('release a connection', async () => {
          await this.#ns.delete().key(connectionKey(claim.user, claim.service, claim.host, id))
          if (held.slot !== undefined) {
            // Only our own place: it may have been taken over after a lost lease.
            await this.#ns.if(slotKey(claim.user, held.slot), 'Value', '==', id).then(this.#ns.delete().key(slotKey(claim.user, held.slot))).commit()
          }
          if (stickyTtlMs > 0) {
            const h = this.#ns.lease(Math.max(2, Math.ceil(stickyTtlMs / 1000)), { autoKeepAlive: false })
            await h.put(historyKey(claim.user, claim.service)).value(claim.host)
            h.release()
          }
        })
      },
    }
  }

  async connections(filter: ConnectionFilter = {}): Promise<LiveConnection[]> {
    const prefix = filter.user !== undefined && filter.service !== undefined ? userServicePrefix(filter.user, filter.service) : CONNECTIONS
    const values = await this.#call('list connections', () => this.#ns.getAll().prefix(prefix).strings())
    const out: LiveConnection[] = []
    for (const v of Object.values(values)) {
      const c = parseConnection(v)
      if (c && (filter.user === undefined || c.user === filter.user) && (filter.service === undefined || c.service === filter.service) && (filter.host === undefined || c.host === filter.host)) out.push(c)
    }
    return out.sort((a, b) => a.startedAt - b.startedAt)
  }

  async stickyHost(user: string, service: string): Promise<string | undefined> {
    const live = await this.connections({ user, service })
    if (live.length > 0) return live.reduce((a, b) => (b.startedAt >= a.startedAt ? b : a)).host
    const h = await this.#call('read sticky history', () => this.#ns.get(historyKey(user, service)).string())
    return h ?? undefined
  }

  async forgetSticky(user: string, service: string): Promise<void> {
    await this.#call('forget sticky history', async () => {
      await this.#ns.delete().key(historyKey(user, service))
    })
  }

  async hosts(): Promise<HostRecord[]> {
    const values = await this.#call('list hosts', () => this.#ns.getAll().prefix(HOSTS).strings())
    return Object.entries(values).flatMap(([k, v]) => {
      const r = parseHost(decodeURIComponent(k.slice(HOSTS.length)), v)
      return r ? [r] : []
    })
  }

  async host(host: string): Promise<HostRecord | undefined> {
    const v = await this.#call('read a host', () => this.#ns.get(hostKey(host)).string())
    return v === null ? undefined : parseHost(host, v)
  }

  async markHost(host: string, state: 'up' | 'down'): Promise<void> {
    const key = hostKey(host)
    await this.#call('mark a host', async () => {
      // Compare-and-set, so a concurrent disable is never overwritten by a probe's result.
      for (let i = 0; i < 5; i++) {
        const raw = await this.#ns.get(key).string()
        const keep = raw !== null && parseHost(host, raw)?.state === 'disabled'
        const next = JSON.stringify({ state: keep ? 'disabled' : state, checkedAt: Date.now() })
        const txn = raw === null ? this.#ns.if(key, 'Create', '==', 0) : this.#ns.if(key, 'Value', '==', raw)
        if ((await txn.then(this.#ns.put(key).value(next)).commit()).succeeded) return
      }
      throw new Error('the host record kept changing')
    })
  }

  async setDisabled(host: string, disabled: boolean): Promise<void> {
    await this.#call('set a host', async () => {
      await this.#ns.put(hostKey(host)).value(JSON.stringify({ state: disabled ? 'disabled' : 'up', checkedAt: Date.now() }))
    })
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const lease = this.#lease
    this.#lease = undefined
    if (lease) await bounded(lease.revoke(), this.#timeoutMs).catch(() => lease.release())
    this.#client.close()
  }

  /** The lease entries live under: this instance's, taken again (and entries put back) after a loss. */
  #takeLease(): Promise<Lease> {
    if (this.#closed) return Promise.reject(new Error('the store is closed'))
    this.#leaseReady ??= (async () => {
      const lease = this.#ns.lease(this.#ttlSeconds, { autoKeepAlive: true })
      lease.on('lost', () => {
        if (this.#lease === lease) this.#lease = undefined
        this.#leaseReady = undefined
      })
      try {
        await bounded(lease.grant(), this.#timeoutMs)
      } catch (err) {
        this.#leaseReady = undefined
        lease.release()
        throw err
      }
      const lost = this.#lease === undefined && this.#held.size > 0
      this.#lease = lease
      if (lost) await this.#restore(lease)
      return lease
    })()
    return this.#leaseReady
  }

  /** Puts this instance's live entries back under a new lease (the old one expired while etcd was away). */
  async #restore(lease: Lease): Promise<void> {
    for (const h of this.#held.values()) {
      const c = h.record
      await lease.put(connectionKey(c.user, c.service, c.host, c.id)).value(JSON.stringify(c))
      if (h.slot !== undefined) {
        const sk = slotKey(c.user, h.slot)
        const r = await this.#ns.if(sk, 'Create', '==', 0).then(lease.put(sk).value(c.id)).commit()
        // Taken meanwhile by another instance: this connection goes on, uncounted.
        if (!r.succeeded) h.slot = undefined
      }
    }
  }

  async #call<T>(what: string, op: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new RouterStoreError(`etcd ${this.#where}: cannot ${what}: the store is closed`)
    try {
      return await bounded(op(), this.#timeoutMs * 2)
    } catch (err) {
      throw new RouterStoreError(`etcd ${this.#where}: cannot ${what} (${this.#reason(err)})`, { cause: err })
    }
  }

  #reason(err: unknown): string {
    const text = err instanceof Error ? `${err.name}: ${err.message.split('\n')[0]}` : String(err)
    return this.#secret ? text.split(this.#secret).join('***') : text
  }
}

function bounded<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer))
}

function parseConnection(v: string): LiveConnection | undefined {
  try {
    const c = JSON.parse(v) as LiveConnection
    return typeof c?.id === 'string' && typeof c.user === 'string' && typeof c.host === 'string' ? c : undefined
  } catch {
    return undefined
  }
}

function parseHost(host: string, v: string): HostRecord | undefined {
  try {
    const r = JSON.parse(v) as { state?: unknown; checkedAt?: unknown }
    if ((r.state === 'up' || r.state === 'down' || r.state === 'disabled') && typeof r.checkedAt === 'number') return { host, state: r.state, checkedAt: r.checkedAt }
  } catch {
    // a record we cannot read counts as none
  }
  return undefined
}
