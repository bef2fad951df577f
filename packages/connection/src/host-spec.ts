/**
 * Parses Fabric's host shorthand: 'host', 'user@host', 'host:port', 'user@host:port',
 * '[v6addr]', '[v6addr]:port' (a bare IPv6 address without brackets is taken whole).
 * @internal
 */

/** The parts of a host shorthand. */
export interface HostSpec {
  readonly host: string
  readonly user: string | undefined
  readonly port: number | undefined
}

/** Splits `spec` into user, host and port. @throws TypeError / RangeError on malformed input. */
export function parseHostSpec(spec: string): HostSpec {
  if (typeof spec !== 'string' || spec.trim() === '') throw new TypeError('host must be a non-empty string')
  let rest = spec.trim()
  let user: string | undefined
  const at = rest.lastIndexOf('@')
  if (at >= 0) {
    user = rest.slice(0, at)
    rest = rest.slice(at + 1)
    if (user === '') throw new TypeError(`empty user in host "${spec}"`)
  }
  let host = rest
  let port: number | undefined
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest)
  if (v6) {
    host = v6[1]!
    if (v6[2] !== undefined) port = checkPort(Number(v6[2]), spec)
  } else if (rest.includes('[') || rest.includes(']')) {
    throw new TypeError(`malformed host "${spec}": brackets must enclose an IPv6 address, as in [::1]:22`)
  } else {
    const colon = rest.indexOf(':')
    if (colon >= 0 && colon === rest.lastIndexOf(':')) {
      host = rest.slice(0, colon)
      port = checkPort(Number(rest.slice(colon + 1)), spec)
    }
  }
  if (host === '') throw new TypeError(`empty host name in "${spec}"`)
  return Object.freeze({ host, user, port })
}

function checkPort(port: number, spec: string): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`bad port in host "${spec}"`)
  return port
}
