/**
 * The base of the error tree and its brand: how `instanceof` holds across two installed copies of
 * a package (undici's technique: a registered symbol per class, checked by `Symbol.hasInstance`).
 */

/** Options every error accepts: the underlying cause. */
export interface SSHErrorOptions {
  /** The lower-level error this one explains. */
  cause?: unknown
}

/** The registered symbol each branded class marks its prototype with, by class (own, not inherited). */
const brands = new WeakMap<object, symbol>()

/** Returns the process-wide symbol that marks instances of the class whose `code` is `code`. */
function brandSymbol(code: string): symbol {
  // Symbol.for is one registry per realm: every copy of every package agrees on this key.
  return Symbol.for(`x-ssh.error.${code}`)
}

/**
 * Base class of every error this library raises on purpose. Its own instances carry
 * `code: 'ERR_SSH'` (misuse of an object's life cycle, a refusal with no finer class); each
 * subclass has a literal `name` and `code`.
 *
 * `instanceof` checks a brand, not the prototype chain, for the library's classes: an error made
 * by one installed copy of a package is `instanceof` the same class of another copy (two versions
 * in one `node_modules`, or a bundled and an installed one). Classes that do not brand themselves
 * (a program's own subclasses) keep the ordinary prototype check.
 *
 * @example
 * ```ts
 * try { await t.startClient() } catch (err) {
 *   if (err instanceof SSHError) console.error(err.code)
 * }
 * ```
 */
export class SSHError extends Error {
  override readonly name: string = 'SSHError'
  /** Stable machine-readable code; test by it, never by message text. */
  readonly code: string = 'ERR_SSH'

  static {
    this.brand('ERR_SSH')
  }

  /** Creates an error; `cause` is kept as the standard `Error.cause`. */
  constructor(message: string, options: SSHErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    // V8 formats a stack on first read; until then it holds every frame's receiver and function
    // (a Transport, its socket, a resolver's caches) for as long as the error is kept. Format it
    // once the subclass constructor has set `name` (a microtask later), with the cause chain's.
    queueMicrotask(() => formatStacks(this))
  }

  /**
   * Tells whether `value` is an instance of this class: by brand for a branded class (any copy of
   * the package made it), by prototype chain otherwise.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    const brand = brands.get(this)
    if (brand === undefined) return Function.prototype[Symbol.hasInstance].call(this, value)
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true
  }

  /**
   * Brands the calling class as the one whose instances carry `code`: call it once, from the
   * class's static block (`static { this.brand('ERR_SSH_TIMEOUT') }`). For the library's own
   * classes; the code is the brand, so it must never be reused by another class.
   */
  protected static brand(code: string): void {
    const symbol = brandSymbol(code)
    brands.set(this, symbol)
    // Non-enumerable on the prototype: invisible to util.inspect, JSON.stringify and spreading.
    Object.defineProperty(this.prototype, symbol, { value: true })
  }
}

/** Reads `.stack` down a cause chain, so V8 formats and releases what each error captured. */
function formatStacks(err: unknown): void {
  try {
    for (let e = err, depth = 0; e instanceof Error && depth < 16; e = e.cause, depth++) void e.stack
  } catch {
    // A throwing Error.prepareStackTrace or stack getter: reading it later throws the same way.
  }
}
