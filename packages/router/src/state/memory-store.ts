/**
 * The routing state of one router instance, in memory: the embedded default, and what the etcd
 * store degrades to when etcd is unreachable and not mandatory.
 */
import { randomBytes } from 'node:crypto'
import { RouterStoreError, type ConnectionClaim, type ConnectionFilter, type ConnectionTicket, type HostRecord, type LiveConnection, type RouterStore } from './router-store.js'

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** This instance's id; default a random one. */
  readonly instance?: string | undefined
  /** The clock, in ms since the epoch (tests move it); default `Date.now`. */
  readonly now?: (() => number) | undefined
}

interface Remembered {
  readonly host: string
  readonly until: number
}

/** A {@link RouterStore} held in this process. */
export class MemoryStore implements RouterStore {
  readonly kind = 'memory'
  readonly instance: string
  readonly #now: () => number
  readonly #live = new Map<string, LiveConnection>()
  readonly #sticky = new Map<string, Remembered>()
  readonly #hosts = new Map<string, HostRecord>()
  #next = 0
  #closed = false

  constructor(options: MemoryStoreOptions = {}) {
    this.instance = options.instance ?? randomBytes(4).toString('hex')
    this.#now = options.now ?? Date.now
  }

  async admit(claim: ConnectionClaim, limit: number): Promise<ConnectionTicket | null> {
    this.#open()
    if (limit > 0) {
      let held = 0
      for (const c of this.#live.values()) if (c.user === claim.user) held++
      if (held >= limit) return null
    }
    const id = `${this.instance}-${++this.#next}`
    let record: LiveConnection = { ...claim, id, instance: this.instance, startedAt: this.#now(), bytesInRate: 0, bytesOutRate: 0 }
    this.#live.set(id, record)
    let released = false
    return {
      get record() {
        return record
      },
      updateRates: async (bytesInRate, bytesOutRate) => {
        if (released || !this.#live.has(id)) return
        record = { ...record, bytesInRate, bytesOutRate }
        this.#live.set(id, record)
      },
      release: async (stickyTtlMs) => {
        if (released) return
        released = true
        this.#live.delete(id)
        if (stickyTtlMs > 0 && !this.#closed) this.#sticky.set(stickyKey(claim.user, claim.service), { host: claim.host, until: this.#now() + stickyTtlMs })
      },
    }
  }

  async connections(filter: ConnectionFilter = {}): Promise<LiveConnection[]> {
    this.#open()
    return [...this.#live.values()].filter((c) => matches(c, filter)).sort((a, b) => a.startedAt - b.startedAt)
  }

  async stickyHost(user: string, service: string): Promise<string | undefined> {
    this.#open()
    let newest: LiveConnection | undefined
    for (const c of this.#live.values()) {
      if (c.user === user && c.service === service && (!newest || c.startedAt >= newest.startedAt)) newest = c
    }
    if (newest) return newest.host
    const key = stickyKey(user, service)
    const r = this.#sticky.get(key)
    if (!r) return undefined
    if (r.until <= this.#now()) {
      this.#sticky.delete(key)
      return undefined
    }
    return r.host
  }

  async forgetSticky(user: string, service: string): Promise<void> {
    this.#open()
    this.#sticky.delete(stickyKey(user, service))
  }

  async hosts(): Promise<HostRecord[]> {
    this.#open()
    return [...this.#hosts.values()]
  }

  async host(host: string): Promise<HostRecord | undefined> {
    this.#open()
    return this.#hosts.get(host)
  }

  async markHost(host: string, state: 'up' | 'down'): Promise<void> {
    this.#open()
    const was = this.#hosts.get(host)
    this.#hosts.set(host, { host, state: was?.state === 'disabled' ? 'disabled' : state, checkedAt: this.#now() })
  }

  async setDisabled(host: string, disabled: boolean): Promise<void> {
    this.#open()
    this.#hosts.set(host, { host, state: disabled ? 'disabled' : 'up', checkedAt: this.#now() })
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#live.clear()
  }

  #open(): void {
    if (this.#closed) throw new RouterStoreError('the memory store is closed')
  }
}

function stickyKey(user: string, service: string): string {
  return `${user}\0${service}`
}

function matches(c: LiveConnection, f: ConnectionFilter): boolean {
  return (f.user === undefined || c.user === f.user) && (f.service === undefined || c.service === f.service) && (f.host === undefined || c.host === f.host)
}
