/**
 * sshproxy's `etcd.mandatory` as a store: etcd while it answers; when it does not, either this
 * instance's memory (mandatory false: routing goes on alone, with a warning once per outage) or
 * a refusal of every operation (mandatory true: the router refuses new connections with the
 * error banner). etcd is tried again after a pause, and used again for new operations as soon
 * as it answers; a ticket is always released on the store that admitted it.
 */
import { EtcdStore, type EtcdStoreOptions } from './etcd-store.js'
import { MemoryStore } from './memory-store.js'
import { RouterStoreError, type ConnectionClaim, type ConnectionFilter, type ConnectionTicket, type HostRecord, type LiveConnection, type RouterStore } from './router-store.js'
import type { EtcdConfig } from '../config/router-config.js'

/** Options of {@link ResilientStore.open}. */
export interface ResilientStoreOptions extends EtcdStoreOptions {
  /** Told when etcd stops answering and when it is back; never a secret. */
  readonly warn?: ((message: string) => void) | undefined
  /** How long to use the fallback before trying etcd again, in ms; default 3 000. */
  readonly retryMs?: number | undefined
}

/** The etcd store with `mandatory`'s fallback. */
export class ResilientStore implements RouterStore {
  readonly kind = 'etcd'
  readonly instance: string
  readonly #config: EtcdConfig
  readonly #options: ResilientStoreOptions
  readonly #memory: MemoryStore
  readonly #retryMs: number
  #etcd: EtcdStore | undefined
  #opening: Promise<EtcdStore | undefined> | undefined
  #downSince: number | undefined
  #closed = false

  private constructor(config: EtcdConfig, options: ResilientStoreOptions, instance: string) {
    this.#config = config
    this.#options = options
    this.instance = instance
    this.#memory = new MemoryStore({ instance })
    this.#retryMs = options.retryMs ?? 3_000
  }

  /** Opens etcd; when it does not answer, starts in the fallback (and says so). Never throws for an unreachable etcd. */
  static async open(config: EtcdConfig, options: ResilientStoreOptions = {}): Promise<ResilientStore> {
    const instance = options.instance ?? Math.random().toString(16).slice(2, 10)
    const store = new ResilientStore(config, { ...options, instance }, instance)
    await store.#backend()
    return store
  }

  /** Whether etcd answered the last operation (false during an outage). */
  get connected(): boolean {
    return this.#downSince === undefined && this.#etcd !== undefined
  }

  admit(claim: ConnectionClaim, limit: number): Promise<ConnectionTicket | null> {
    return this.#run((s) => s.admit(claim, limit))
  }

  connections(filter?: ConnectionFilter): Promise<LiveConnection[]> {
    return this.#run((s) => s.connections(filter))
  }

  stickyHost(user: string, service: string): Promise<string | undefined> {
    return this.#run((s) => s.stickyHost(user, service))
  }

  forgetSticky(user: string, service: string): Promise<void> {
    return this.#run((s) => s.forgetSticky(user, service))
  }

  hosts(): Promise<HostRecord[]> {
    return this.#run((s) => s.hosts())
  }

  host(host: string): Promise<HostRecord | undefined> {
    return this.#run((s) => s.host(host))
  }

  markHost(host: string, state: 'up' | 'down'): Promise<void> {
    return this.#run((s) => s.markHost(host, state))
  }

  setDisabled(host: string, disabled: boolean): Promise<void> {
    return this.#run((s) => s.setDisabled(host, disabled))
  }

  async close(): Promise<void> {
    this.#closed = true
    const etcd = this.#etcd ?? (await this.#opening?.catch(() => undefined))
    await etcd?.close()
    await this.#memory.close()
  }

  async #run<T>(op: (s: RouterStore) => Promise<T>): Promise<T> {
    if (this.#closed) throw new RouterStoreError('the store is closed')
    const etcd = await this.#backend()
    if (etcd) {
      try {
        const r = await op(etcd)
        if (this.#downSince !== undefined) this.#back()
        return r
      } catch (err) {
        if (!(err instanceof RouterStoreError)) throw err
        this.#down(err)
      }
    }
    if (this.#config.mandatory) throw new RouterStoreError('etcd is unreachable and mandatory')
    return op(this.#memory)
  }

  /** etcd when it may be tried now: open, or not in the pause after a failure. */
  async #backend(): Promise<EtcdStore | undefined> {
    if (this.#downSince !== undefined && Date.now() - this.#downSince < this.#retryMs) return undefined
    if (this.#etcd) return this.#etcd
    this.#opening ??= EtcdStore.open(this.#config, this.#options).then(
      (s) => {
        if (this.#closed) {
          void s.close()
          return undefined
        }
        this.#etcd = s
        if (this.#downSince !== undefined) this.#back()
        return s
      },
      (err: unknown) => {
        this.#down(err instanceof RouterStoreError ? err : new RouterStoreError(String(err)))
        return undefined
      },
    ).finally(() => {
      this.#opening = undefined
    })
    return this.#opening
  }

  #down(err: RouterStoreError): void {
    const first = this.#downSince === undefined
    this.#downSince = Date.now()
    if (first) this.#options.warn?.(`${err.message}; ${this.#config.mandatory ? 'new connections are refused (mandatory)' : 'routing goes on from this instance\'s memory'} until it answers again`)
  }

  #back(): void {
    this.#downSince = undefined
    this.#options.warn?.('etcd answers again; routing state is shared again')
  }
}
