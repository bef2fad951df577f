/**
 * OpenSSH's regress key-options.sh and forward-control.sh cases, ported as tables of
 * parse + decision: what sshd would allow for each authorized_keys line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuthorizedKeys, KeyRestrictions } from '@x/server'
import type { AuthorizedKeysContext } from '@x/server'
import { keygenLines, pub } from './authorized-keys-fixtures.js'
import type { KeygenLines } from './authorized-keys-fixtures.js'

let k: KeygenLines
beforeAll(async () => {
  k = await keygenLines()
})
afterAll(async () => {
  await k.cleanup()
})

const ctx: AuthorizedKeysContext = { address: '127.0.0.1' }

function restrictionsOf(options: string, context: Partial<AuthorizedKeysContext> = {}): KeyRestrictions | undefined {
  const ak = AuthorizedKeys.parse(`${options} ${k.ed25519}\n`)
  expect(ak.rejected).toEqual([])
  const d = ak.check(pub(k.ed25519), { ...ctx, ...context })
  return d.accepted ? d.restrictions : undefined
}

interface Flags {
  pty: boolean
  agent: boolean
  x11: boolean
  port: boolean
  userRc: boolean
}
const flags = (r: KeyRestrictions): Flags => ({
  pty: r.allowPty(),
  agent: r.allowAgentForwarding(),
  x11: r.allowX11(),
  port: r.allowPortForwarding(),
  userRc: r.allowUserRc(),
})
const ALL: Flags = { pty: true, agent: true, x11: true, port: true, userRc: true }
const NONE: Flags = { pty: false, agent: false, x11: false, port: false, userRc: false }

describe('key-options.sh, as decisions', () => {
  it.each<[string, Flags, string | undefined]>([
    ['command="echo bar"', ALL, 'echo bar'],
    ['no-pty', { ...ALL, pty: false }, undefined],
    ['command="echo bar",no-pty', { ...ALL, pty: false }, 'echo bar'],
    ['restrict', NONE, undefined],
    ['restrict,pty', { ...NONE, pty: true }, undefined],
    ['restrict,command="echo bar",pty', { ...NONE, pty: true }, 'echo bar'],
    ['pty,restrict', NONE, undefined],
    ['restrict,port-forwarding,agent-forwarding,X11-forwarding,user-rc', { ...ALL, pty: false }, undefined],
    ['no-agent-forwarding', { ...ALL, agent: false }, undefined],
    ['no-X11-forwarding', { ...ALL, x11: false }, undefined],
    ['no-port-forwarding', { ...ALL, port: false }, undefined],
    ['no-user-rc', { ...ALL, userRc: false }, undefined],
  ])('%s', (options, want, command) => {
    const r = restrictionsOf(options)
    expect(r).toBeDefined()
    if (r === undefined) return
    expect(flags(r)).toEqual(want)
    expect(r.forcedCommand).toBe(command)
  })

  it('a line without options restricts nothing, like KeyRestrictions.none', () => {
    const r = AuthorizedKeys.parse(`${k.ed25519}\n`).check(pub(k.ed25519), ctx)
    expect(r.accepted && flags(r.restrictions)).toEqual(ALL)
    expect(flags(KeyRestrictions.none)).toEqual(ALL)
    expect(KeyRestrictions.none.allowOpen('anything', 1)).toBe(true)
  })

  it.each<[string, boolean | string, Record<string, string>]>([
    ['environment="FOO=bar"', false, {}],
    ['environment="FOO=bar"', true, { FOO: 'bar' }],
    ['environment="FOO=bar",environment="FOO=baz",environment="B_2=x=y"', true, { FOO: 'bar', B_2: 'x=y' }],
    ['environment="FOO=bar",environment="BAR=baz"', 'FOO', { FOO: 'bar' }],
    ['environment="FOO=bar",environment="BAR=baz"', 'B*,!BAZ', { BAR: 'baz' }],
    ['environment="FOO="', true, { FOO: '' }],
  ])('%s with PermitUserEnvironment %s', (options, permit, want) => {
    const r = restrictionsOf(options, { permitUserEnvironment: permit })
    expect(Object.fromEntries(r?.environment ?? [])).toEqual(want)
  })

  it.each<[string, string, boolean]>([
    ['from="127.0.0.1"', '127.0.0.1', true],
    ['from="127.0.0.1"', '127.0.0.2', false],
    ['from="127.0.0.0/8"', '127.1.2.3', true],
    ['from="127.0.0.0/8"', '10.0.0.1', false],
    ['from="10.0.0.0/8,127.0.0.0/8"', '127.0.0.1', true],
    ['from="!127.0.0.1"', '127.0.0.1', false],
    ['from="!127.0.0.1"', '10.0.0.1', false],
    ['from="!127.0.0.1,*"', '10.0.0.1', true],
    ['from="*,!127.0.0.0/8"', '127.0.0.1', false],
    ['from="127.0.0.*"', '127.0.0.9', true],
    ['from="127.0.0.1/33"', '127.0.0.1', false],
  ])('%s from %s: %s', (options, address, allowed) => {
    expect(restrictionsOf(options, { address }) !== undefined).toBe(allowed)
  })

  it('expiry-time in the past refuses, in the future accepts, and says why', () => {
    const ak = AuthorizedKeys.parse(`expiry-time="19990101" ${k.ed25519}\nexpiry-time="20990101Z" ${k.rsa}\n`)
    const past = ak.check(pub(k.ed25519), ctx)
    expect(past).toMatchObject({ accepted: false, reason: 'refused', refusals: [{ reason: 'expired' }] })
    expect(ak.check(pub(k.rsa), ctx).accepted).toBe(true)
  })

  it('a refused line does not end the search: a later line for the same key may accept', () => {
    const ak = AuthorizedKeys.parse(`from="10.0.0.1" ${k.ed25519}\nno-pty ${k.ed25519}\n`)
    const d = ak.check(pub(k.ed25519), ctx)
    expect(d.accepted && d.entry.line).toBe(2)
    expect(d.accepted && d.restrictions.allowPty()).toBe(false)
  })
})

describe('forward-control.sh, as decisions', () => {
  it.each<[string, Array<[string, number, boolean]>]>([
    ['permitopen="127.0.0.1:2222"', [['127.0.0.1', 2222, true], ['127.0.0.1', 2223, false], ['localhost', 2222, false]]],
    ['permitopen="127.0.0.1:*"', [['127.0.0.1', 1, true], ['127.0.0.1', 65535, true], ['127.0.0.2', 1, false]]],
    ['permitopen="*:22"', [['example.org', 22, true], ['10.1.1.1', 22, true], ['10.1.1.1', 23, false]]],
    ['permitopen="[::1]:22",permitopen="host.example:80"', [['::1', 22, true], ['host.example', 80, true], ['HOST.example', 80, false], ['[::1]', 22, false]]],
    ['permitopen="2001:db8::1:22"', []],
    ['no-port-forwarding,permitopen="127.0.0.1:2222"', [['127.0.0.1', 2222, false]]],
    ['restrict', [['127.0.0.1', 2222, false]]],
    ['restrict,port-forwarding', [['127.0.0.1', 2222, true], ['anything', 1, true]]],
    ['restrict,port-forwarding,permitopen="127.0.0.1:2222"', [['127.0.0.1', 2222, true], ['127.0.0.1', 22, false]]],
  ])('direct-tcpip with %s', (options, cases) => {
    const ak = AuthorizedKeys.parse(`${options} ${k.ed25519}\n`)
    if (cases.length === 0) {
      // An unbracketed IPv6 address: hpdelim splits at its first ':' and the port is junk.
      expect(ak.rejected).toMatchObject([{ kind: 'bad-options' }])
      return
    }
    const d = ak.check(pub(k.ed25519), ctx)
    if (!d.accepted) throw new Error('refused')
    for (const [host, port, want] of cases) expect([host, port, d.restrictions.allowOpen(host, port)]).toEqual([host, port, want])
  })

  it.each<[string, Array<[string, number, boolean]>]>([
    ['permitlisten="2222"', [['localhost', 2222, true], ['0.0.0.0', 2222, true], ['localhost', 2223, false]]],
    ['permitlisten="localhost:2222"', [['localhost', 2222, true], ['LOCALHOST', 2222, true], ['127.0.0.1', 2222, false]]],
    ['permitlisten="127.0.0.1:*"', [['127.0.0.1', 0, true], ['127.0.0.1', 9999, true], ['localhost', 9999, false]]],
    ['permitlisten="*.example:80"', [['a.example', 80, true], ['example', 80, false]]],
    ['permitlisten="[::1]:2222"', [['::1', 2222, true]]],
    ['permitlisten="2222"', [['localhost', 0, false]]],
    ['no-port-forwarding,permitlisten="2222"', [['localhost', 2222, false]]],
    ['restrict,port-forwarding,permitlisten="2222"', [['localhost', 2222, true]]],
  ])('tcpip-forward with %s', (options, cases) => {
    const d = AuthorizedKeys.parse(`${options} ${k.ed25519}\n`).check(pub(k.ed25519), ctx)
    if (!d.accepted) throw new Error('refused')
    for (const [host, port, want] of cases) expect([host, port, d.restrictions.allowListen(host, port)]).toEqual([host, port, want])
  })

  it('keeps permitopen and permitlisten entries parsed', () => {
    const ak = AuthorizedKeys.parse(`permitopen="[::1]:*",permitlisten="8080",permitlisten="h:1" ${k.ed25519}\n`)
    expect(ak.entries[0]?.options.permitOpen).toEqual([{ host: '::1', port: '*' }])
    expect(ak.entries[0]?.options.permitListen).toEqual([{ host: '*', port: 8080 }, { host: 'h', port: 1 }])
  })
})
