/**
 * Reading a parsed YAML document with every complaint placed at `file:line:column`: maps with a
 * fixed set of keys, strings, numbers, booleans, lists. Values are never quoted back in messages
 * unless the caller asks (a secret must not reach a log through a config error).
 * @internal
 */
import { isMap, isScalar, isSeq, type LineCounter, type Node, type Scalar } from 'yaml'
import { RouterConfigError } from './config-error.js'

/** A YAML node, or null where a key has no value. @internal */
export type YamlNode = Node | null

/** Reads one document's nodes. @internal */
export class YamlReader {
  readonly #file: string | undefined
  readonly #lines: LineCounter
  /** Where the document starts: the fallback position of a node without a range. */
  readonly #fallback: number

  /** Creates a reader for the document of `file` whose line starts `lines` counted. */
  constructor(file: string | undefined, lines: LineCounter, fallback = 0) {
    this.#file = file
    this.#lines = lines
    this.#fallback = fallback
  }

  /** The position of `offset` (0-based) as 1-based line and column. */
  at(offset: number): { line: number; column: number } {
    const p = this.#lines.linePos(offset)
    return { line: p.line, column: p.col }
  }

  /** The position where `node` starts. */
  where(node: YamlNode | undefined): { line: number; column: number } {
    return this.at(node?.range?.[0] ?? this.#fallback)
  }

  /** Throws the config error `what` at `node`. */
  fail(node: YamlNode | undefined, what: string, offset?: number): never {
    const start = node?.range?.[0] ?? this.#fallback
    throw new RouterConfigError(what, { file: this.#file, ...this.at(start + (offset ?? 0)) })
  }

  /**
   * The entries of the map `node` (`name` says what it is in messages), each key one of
   * `allowed` (any name when undefined); an unknown key is refused at its own line.
   */
  map(node: YamlNode, name: string, allowed: readonly string[] | undefined): Map<string, { key: Scalar; value: YamlNode }> {
    if (!isMap(node)) this.fail(node, `${name} must be a map of keys`)
    const out = new Map<string, { key: Scalar; value: YamlNode }>()
    for (const pair of node.items) {
      const key = pair.key
      if (!isScalar(key) || typeof key.value !== 'string') this.fail(key as YamlNode, `${name} has a key that is not a plain name`)
      if (allowed && !allowed.includes(key.value)) this.fail(key, `unknown key "${key.value}" in ${name} (known: ${allowed.join(', ')})`)
      out.set(key.value, { key, value: (pair.value ?? null) as YamlNode })
    }
    return out
  }

  /** A string scalar (numbers are not taken as strings: `port: 22` is not a name). */
  string(node: YamlNode, name: string): string {
    if (!isScalar(node) || typeof node.value !== 'string') this.fail(node, `${name} must be a string`)
    return node.value
  }

  /** A string or a number scalar, as text (a `host:port` may be written unquoted). */
  text(node: YamlNode, name: string): string {
    if (isScalar(node) && (typeof node.value === 'string' || typeof node.value === 'number')) return String(node.value)
    this.fail(node, `${name} must be a string`)
  }

  /** An integer scalar in `[min, max]`. */
  integer(node: YamlNode, name: string, min: number, max: number): number {
    if (!isScalar(node) || typeof node.value !== 'number' || !Number.isInteger(node.value) || node.value < min || node.value > max) {
      this.fail(node, `${name} must be an integer from ${min} to ${max}`)
    }
    return node.value
  }

  /** A boolean scalar. */
  boolean(node: YamlNode, name: string): boolean {
    if (!isScalar(node) || typeof node.value !== 'boolean') this.fail(node, `${name} must be true or false`)
    return node.value
  }

  /** A string or number scalar, for a value with a parser of its own (durations). */
  scalar(node: YamlNode, name: string): string | number {
    if (isScalar(node) && (typeof node.value === 'string' || typeof node.value === 'number')) return node.value
    this.fail(node, `${name} must be a string or a number`)
  }

  /** The items of a list, or the node itself when `single` allows one item written alone. */
  list(node: YamlNode, name: string, single = true): YamlNode[] {
    if (isSeq(node)) return node.items as YamlNode[]
    if (single && isScalar(node)) return [node]
    this.fail(node, `${name} must be a list`)
  }
}
