import { homedir } from 'node:os'
import { resolve } from 'node:path'
import { HostKeyError } from '../errors.js'
import { PublicKey } from '../keys/public-key.js'
import { hostKeyAlgorithmsFor } from './algorithms.js'
import { hashHostName, hostKeyName } from './host-pattern.js'
import { HostKeys } from './host-keys.js'
import type { HostKeyTarget, HostKeyVerifier } from './verifiers.js'
import { appendLine } from './write-known-hosts.js'

/** Options of {@link knownHosts}. */
export interface KnownHostsOptions {
  /**
   * known_hosts files, read in order at every verification; the first is the one `accept-new`
   * writes. A leading `~/` means the home directory. Default: `~/.ssh/known_hosts`,
   * `/etc/ssh/ssh_known_hosts` (OpenSSH's UserKnownHostsFile and GlobalKnownHostsFile).
   */
  readonly files?: readonly string[] | undefined
  /** OpenSSH's StrictHostKeyChecking: 'strict' (`yes`, the default) or 'accept-new'. */
  readonly policy?: 'strict' | 'accept-new' | undefined
  /** Writes learnt hosts hashed (`|1|salt|hash`), as HashKnownHosts yes. Default false. */
  readonly hash?: boolean | undefined
}

/** The verifier {@link knownHosts} returns: it always answers with a promise and knows its files. */
export interface KnownHostsVerifier extends HostKeyVerifier {
  /** Resolves to true for an accepted key; rejects with {@link HostKeyError} otherwise. */
  (key: PublicKey, target: HostKeyTarget): Promise<boolean>
  /**
   * Returns the host-key algorithms of the keys known for the host, best first ([] when none,
   * or when a file cannot be read). Reads the files synchronously: once per connection.
   */
  preferredAlgorithms(hostname: string, port: number): string[]
  /** The files read, absolute, in order. */
  readonly files: readonly string[]
}

// One queue per file: re-check and append run one at a time within this process.
const fileQueues = new Map<string, Promise<unknown>>()

function serialized<T>(file: string, task: () => Promise<T>): Promise<T> {
  const run = (fileQueues.get(file) ?? Promise.resolve()).then(task, task)
  const tail = run.catch(() => {})
  fileQueues.set(file, tail)
  void tail.then(() => fileQueues.get(file) === tail && fileQueues.delete(file))
  return run
}

function checkOptions(options: KnownHostsOptions): { files: string[]; acceptNew: boolean; hash: boolean } {
  const { files, policy = 'strict', hash = false } = options
  if (policy !== 'strict' && policy !== 'accept-new') {
    throw new RangeError(`policy must be 'strict' or 'accept-new', got ${String(policy)}`)
  }
  if (typeof hash !== 'boolean') throw new TypeError('hash must be a boolean')
  const list = files ?? ['~/.ssh/known_hosts', '/etc/ssh/ssh_known_hosts']
  if (!Array.isArray(list) || !list.every((f) => typeof f === 'string' && f !== '')) {
    throw new TypeError('files must be an array of file paths')
  }
  if (policy === 'accept-new' && list.length === 0) throw new RangeError("policy 'accept-new' needs a file to write")
  const abs = list.map((f) => resolve(f.startsWith('~/') ? homedir() + f.slice(1) : f))
  return { files: abs, acceptNew: policy === 'accept-new', hash }
}

/**
 * Builds a {@link HostKeyVerifier} over OpenSSH known_hosts files, OpenSSH's own check
 * (`StrictHostKeyChecking` yes / accept-new). The files are re-read at each verification, so
 * entries other processes append are seen. A known key is accepted; a `@revoked` key, a changed
 * key (another key, of any type, known for the host) and, under 'strict', an unknown key are
 * refused. Under 'accept-new' an unknown key is appended to the first file and accepted, except
 * for a host covered by `@cert-authority`: certificates are not supported, so such a host is
 * never learnt (fail closed). paramiko's `SSHClient.load_system_host_keys` with `RejectPolicy`
 * (strict) or a `MissingHostKeyPolicy` that saves new keys (accept-new).
 *
 * The returned function also carries `preferredAlgorithms(hostname, port)` (see
 * {@link KnownHostsVerifier}) so a Transport can prefer algorithms already known for the host.
 *
 * @example
 * ```ts
 * const t = new Transport('db.internal:22', { hostKeyVerifier: knownHosts({ policy: 'accept-new' }) })
 * ```
 * @throws RangeError / TypeError for bad options (when called).
 * The verifier rejects with:
 * - {@link HostKeyError} `reason: 'unknown'` for an unknown key under 'strict' (or a
 *   `@cert-authority` host), or when a known_hosts file exists but cannot be read; its message
 *   names the files read and the ways to trust the key (accept-new, ssh-keyscan, fixedHostKey
 *   with the fingerprint);
 * - every HostKeyError it raises carries `knownHostsFiles`, the files read;
 * - {@link HostKeyError} `reason: 'mismatch'` with `expected` fingerprints when another key is known;
 * - {@link HostKeyError} `reason: 'revoked'` for a `@revoked` key;
 * - the `fs` error when 'accept-new' cannot write the file.
 */
export function knownHosts(options: KnownHostsOptions = {}): KnownHostsVerifier {
  const { files, acceptNew, hash } = checkOptions(options)

  const readAll = async (target: HostKeyTarget, key: PublicKey): Promise<HostKeys> => {
    try {
      return await HostKeys.read(files)
    } catch (err) {
      throw new HostKeyError(`cannot read known_hosts (${files.join(', ')}) to check ${target.hostname}:${target.port}`, {
        reason: 'unknown', host: target.hostname, port: target.port, fingerprint: key.fingerprint, knownHostsFiles: files,
      }, { cause: err })
    }
  }

  const judge = (known: HostKeys, key: PublicKey, target: HostKeyTarget, name: string): boolean | 'learn' => {
    const fields = { host: target.hostname, port: target.port, fingerprint: key.fingerprint, knownHostsFiles: files }
    const status = known.check(target.hostname, target.port, key)
    if (status === 'ok') return true
    if (status === 'revoked') {
      throw new HostKeyError(`host key ${key.fingerprint} of ${name} is marked @revoked`, { reason: 'revoked', ...fields })
    }
    if (status === 'mismatch') {
      const expected = known.lookup(target.hostname, target.port).keys.map((k) => k.fingerprint)
      throw new HostKeyError(
        `host key of ${name} has changed: it sent ${key.type} ${key.fingerprint}, known_hosts has ${expected.join(', ')}`,
        { reason: 'mismatch', ...fields, expected },
      )
    }
    if (acceptNew && !known.lookup(target.hostname, target.port).certAuthority) return 'learn'
    const why = acceptNew ? ' (a @cert-authority line covers it; host certificates are not supported)' : `; ${waysForward(key, target)}`
    throw new HostKeyError(`host key ${key.type} ${key.fingerprint} of ${name} is not in ${files.join(', ') || 'any known_hosts file'}${why}`, {
      reason: 'unknown', ...fields,
    })
  }

  const verify = async (key: PublicKey, target: HostKeyTarget): Promise<boolean> => {
    if (!(key instanceof PublicKey)) throw new TypeError('key must be a PublicKey')
    const name = hostKeyName(target.hostname, target.port)
    if (judge(await readAll(target, key), key, target, name) === true) return true
    const file = files[0] as string
    return serialized(file, async () => {
      // Re-check just before appending: another connection or process may have learnt the host.
      if (judge(await readAll(target, key), key, target, name) === true) return true
      await appendLine(file, `${hash ? hashHostName(name) : name} ${key.toString()}`)
      return true
    })
  }

  const preferredAlgorithms = (hostname: string, port: number): string[] => {
    try {
      return hostKeyAlgorithmsFor(new HostKeys(files).knownKeyTypes(hostname, port))
    } catch {
      return [] // only a preference: the verification itself reports unreadable files
    }
  }

  return Object.assign(verify, { preferredAlgorithms, files: Object.freeze([...files]) })

  /** The ways to trust an unknown key, once its fingerprint is checked out of band. */
  function waysForward(key: PublicKey, target: HostKeyTarget): string {
    const file = files[0]
    const port = target.port === 22 ? '' : `-p ${target.port} `
    return [
      'if that fingerprint is the server\'s (check it out of band), trust it with policy \'accept-new\'',
      ...(file === undefined ? [] : [`or \`ssh-keyscan ${port}${target.hostname} >> ${file}\``]),
      `or pin it with fixedHostKey('${key.fingerprint}')`,
    ].join(', ')
  }
}
