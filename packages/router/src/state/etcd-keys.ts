/**
 * The router's key layout in etcd, under its prefix (default `/x-ssh-router/`). Every name is
 * URI-encoded, so a `/` or `@` in a user, service or host cannot reach another key, and every
 * prefix ends in `/`, so `alice@svc` never matches `alice@svc2` (sshproxy's prefixes do).
 *
 * | key | value | lease |
 * |---|---|---|
 * | `connections/<user>@<service>/<host>/<id>` | LiveConnection JSON | the instance's |
 * | `slots/<user>/<n>` | the connection id holding place n of the per-user limit | the instance's |
 * | `history/<user>@<service>` | the host, for stickiness after the last connection | its own (the sticky TTL) |
 * | `hosts/<host>` | `{"state","checkedAt"}` | none |
 * @internal
 */

const e = encodeURIComponent

/** Prefix of every live connection. */
export const CONNECTIONS = 'connections/'

/** Prefix of one user's connections on one service. */
export function userServicePrefix(user: string, service: string): string {
  return `${CONNECTIONS}${e(user)}@${e(service)}/`
}

/** Key of one live connection. */
export function connectionKey(user: string, service: string, host: string, id: string): string {
  return `${userServicePrefix(user, service)}${e(host)}/${e(id)}`
}

/** Key of place `n` of a user's per-user limit. */
export function slotKey(user: string, n: number): string {
  return `slots/${e(user)}/${n}`
}

/** Key of a user's sticky history on a service. */
export function historyKey(user: string, service: string): string {
  return `history/${e(user)}@${e(service)}`
}

/** Prefix of the host records. */
export const HOSTS = 'hosts/'

/** Key of one host's record. */
export function hostKey(host: string): string {
  return `${HOSTS}${e(host)}`
}
