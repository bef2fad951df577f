import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadRouterConfig, parseRouterConfig, RouterConfigError, settingsFor } from '../src/index.js'
import type { MatchContext } from '../src/index.js'

const FULL = `# a gateway in front of two pools
listen:
  - 127.0.0.1:2222
  - "[::1]:2223"
host_keys: [keys/host_ed25519]
front_auth:
  authorized_keys: /etc/x-ssh-router/keys/%u
  passwords: /etc/x-ssh-router/passwords
upstream:
  identity: /etc/x-ssh-router/id_ed25519
  known_hosts: known_hosts
  proxy_jump: bastion.example:22
etcd:
  endpoints: [127.0.0.1:2379, "https://10.0.0.5:2379"]
  keyttl: 5s
  mandatory: true
  username: router
  password: s3cret-etcd
dest: ["node[01-03]:22", web1]
route_select: connections
check_interval: 10s
max_connections_per_user: 2
error_banner: no host for you
environment:
  XSSH_VIA: "{user}"
etcd_keyttl: 1m
overrides:
  - match:
      - sources: ["127.0.0.1:2223"]
      - users: [alice, bob]
        groups: [ops]
    dest: ["ops[1-2]"]
    route_select: round-robin
    environment:
      OPS: "1"
  - match:
      - clients: [10.1.0.0/16, "2001:db8::/32"]
    mode: balanced
    service: lab
`

const ctx = (over: Partial<MatchContext> = {}): MatchContext => ({ user: 'carol', groups: [], service: { host: '127.0.0.1', port: 2222 }, client: '127.0.0.1', ...over })

/** The RouterConfigError `text` raises, or a failure when it parses. */
function refusal(text: string): RouterConfigError {
  try {
    parseRouterConfig(text, '/etc/x-ssh-router/router.yaml')
  } catch (err) {
    if (err instanceof RouterConfigError) return err
    throw err
  }
  throw new Error('the config was accepted')
}

const MINIMAL = `listen: 127.0.0.1:2222
host_keys: [/k]
front_auth: { authorized_keys: /keys/%u }
upstream: { known_hosts: /kh }
`

describe('the router config', () => {
  it('reads every key with sshproxy\'s semantics: nodesets expanded, durations in ms, paths made absolute against the file', () => {
    const c = parseRouterConfig(FULL, '/etc/x-ssh-router/router.yaml')
    expect(c.listen).toEqual([{ host: '127.0.0.1', port: 2222, text: '127.0.0.1:2222' }, { host: '::1', port: 2223, text: '[::1]:2223' }])
    expect(c.hostKeys).toEqual(['/etc/x-ssh-router/keys/host_ed25519'])
    expect(c.frontAuth).toEqual({ authorizedKeys: '/etc/x-ssh-router/keys/%u', passwords: '/etc/x-ssh-router/passwords' })
    expect(c.upstream).toEqual({ user: undefined, identity: '/etc/x-ssh-router/id_ed25519', knownHosts: '/etc/x-ssh-router/known_hosts', proxyJump: 'bastion.example:22' })
    expect(c.etcd).toMatchObject({ endpoints: ['127.0.0.1:2379', 'https://10.0.0.5:2379'], keyTtlMs: 5000, mandatory: true, username: 'router', password: 's3cret-etcd' })
    expect(c.settings).toEqual({
      service: 'default',
      dest: ['node01:22', 'node02:22', 'node03:22', 'web1:22'].map((text) => ({ host: text.split(':')[0], port: 22, text })),
      routeSelect: 'connections', mode: 'sticky', checkIntervalMs: 10_000, maxConnectionsPerUser: 2,
      errorBanner: 'no host for you', environment: { XSSH_VIA: '{user}' }, stickyTtlMs: 60_000,
    })
    expect(c.overrides.map((o) => o.line)).toEqual([28, 36])
  })

  it('has sshproxy\'s defaults for what is left out', () => {
    const c = parseRouterConfig(MINIMAL)
    expect(c.settings).toEqual({ service: 'default', dest: [], routeSelect: 'ordered', mode: 'sticky', checkIntervalMs: 0, maxConnectionsPerUser: 0, errorBanner: '', environment: {}, stickyTtlMs: 0 })
    expect(c.etcd).toBeUndefined()
    expect(c.overrides).toEqual([])
  })

  it('applies every matching override in file order: OR of ANDs, dest replaced, environment merged', () => {
    const c = parseRouterConfig(FULL, '/etc/x-ssh-router/router.yaml')
    const base = settingsFor(c.settings, c.overrides, ctx())
    expect(base).toBe(c.settings)
    // users AND groups: alice alone is not enough.
    expect(settingsFor(c.settings, c.overrides, ctx({ user: 'alice' })).routeSelect).toBe('connections')
    const ops = settingsFor(c.settings, c.overrides, ctx({ user: 'alice', groups: ['staff', 'ops'] }))
    expect(ops.dest.map((d) => d.text)).toEqual(['ops1:22', 'ops2:22'])
    expect(ops.routeSelect).toBe('round-robin')
    expect(ops.environment).toEqual({ XSSH_VIA: '{user}', OPS: '1' })
    // The other clause: the service reached on the second listen address.
    expect(settingsFor(c.settings, c.overrides, ctx({ service: { host: '127.0.0.1', port: 2223 } })).routeSelect).toBe('round-robin')
    expect(settingsFor(c.settings, c.overrides, ctx({ service: { host: '127.0.0.1', port: 2224 } })).routeSelect).toBe('connections')
    // Both overrides at once, the later one last.
    const both = settingsFor(c.settings, c.overrides, ctx({ user: 'bob', groups: ['ops'], client: '10.1.200.3' }))
    expect(both).toMatchObject({ routeSelect: 'round-robin', mode: 'balanced', service: 'lab', maxConnectionsPerUser: 2 })
    expect(settingsFor(c.settings, c.overrides, ctx({ client: '2001:db8::7' })).mode).toBe('balanced')
    expect(settingsFor(c.settings, c.overrides, ctx({ client: '10.2.0.1' })).mode).toBe('sticky')
  })

  it('matches a source without a port on any port', () => {
    const c = parseRouterConfig(`${MINIMAL}overrides:\n  - match: [{ sources: ["127.0.0.[1-2]"] }]\n    service: any\n`)
    expect(settingsFor(c.settings, c.overrides, ctx({ service: { host: '127.0.0.2', port: 9 } })).service).toBe('any')
    expect(settingsFor(c.settings, c.overrides, ctx({ service: { host: '127.0.0.3', port: 9 } })).service).toBe('default')
  })

  it.each([
    ['an unknown key', `${MINIMAL}dset: [a]\n`, 5, 1, 'unknown key "dset"'],
    ['a key given twice', `${MINIMAL}mode: sticky\nmode: balanced\n`, 6, 1, 'a key is given twice'],
    ['YAML that does not parse', `${MINIMAL}dest: [a\n`, 6, 1, 'not valid YAML'],
    ['a bad route_select', `${MINIMAL}route_select: fastest\n`, 5, 15, 'route_select must be one of ordered, random, connections, bandwidth, round-robin'],
    ['a bad nodeset, at its bracket', `${MINIMAL}dest:\n  - node[1-3\n`, 6, 9, 'dest: "[" without "]"'],
    ['a bad nodeset in quotes, at its bracket', `${MINIMAL}dest:\n  - "n[3-1]"\n`, 6, 8, 'goes down'],
    ['a dest port out of range', `${MINIMAL}dest: ["a:70000"]\n`, 5, 8, 'has no valid port'],
    ['a listen address without a port', 'listen: 127.0.0.1\n', 1, 9, 'needs a port'],
    ['a bad duration', `${MINIMAL}check_interval: 5 minutes\n`, 5, 17, 'check_interval: "5 minutes" is not a duration'],
    ['a negative limit', `${MINIMAL}max_connections_per_user: -1\n`, 5, 27, 'max_connections_per_user must be an integer from 0'],
    ['a missing known_hosts', 'listen: 127.0.0.1:1\nhost_keys: [/k]\nfront_auth: { passwords: /p }\nupstream: { user: x }\n', 4, 11, 'upstream.known_hosts is required'],
    ['no front auth at all', 'listen: 127.0.0.1:1\nhost_keys: [/k]\nfront_auth: {}\n', 3, 13, 'front_auth needs'],
    ['an unknown %-token', 'listen: 127.0.0.1:1\nhost_keys: [/k]\nfront_auth: { authorized_keys: /k/%d }\n', 3, 32, 'unknown token "%d"'],
    ['a bad CIDR', `${MINIMAL}overrides:\n  - match: [{ clients: [10.0.0.0/33] }]\n    mode: balanced\n`, 6, 25, '"10.0.0.0/33" is not an address or CIDR range'],
    ['an override that changes nothing', `${MINIMAL}overrides:\n  - match: [{ users: [a] }]\n`, 6, 5, 'changes nothing'],
    ['an empty match', `${MINIMAL}overrides:\n  - match: []\n    mode: balanced\n`, 6, 12, 'match is empty'],
    ['a node group', `${MINIMAL}dest: ["@rack1"]\n`, 5, 9, 'node groups'],
    ['an environment name that is not one', `${MINIMAL}environment: { "A-B": x }\n`, 5, 16, '"A-B" is not a variable name'],
    ['an alias where a value goes', `${MINIMAL}error_banner: &b hi\nservice: *b\n`, 6, 10, 'service must be a string'],
    ['an empty file', '', 1, 1, 'the config is empty'],
    ['a list at the top', '- a\n', 1, 1, 'the config must be a map'],
  ])('refuses %s at file:line:column', (_what, text, line, column, message) => {
    const err = refusal(text)
    expect(err.code).toBe('ERR_SSH_ROUTER_CONFIG')
    expect({ line: err.line, column: err.column }).toEqual({ line, column })
    expect(err.message).toContain(message)
    expect(err.message.startsWith(`/etc/x-ssh-router/router.yaml:${line}:${column}: `)).toBe(true)
  })

  it('says that a nodeset in a flow list needs quotes', () => {
    const err = refusal(`${MINIMAL}dest: [n[1-2]]\n`)
    expect(err.line).toBe(5)
    expect(err.message).toMatch(/not valid YAML: .*\(a nodeset inside \[ \] must be quoted: \["n\[1-2\]"\]\)/)
  })

  it('never shows a secret\'s value in a refusal', () => {
    const text = `${MINIMAL}etcd:\n  endpoints: [127.0.0.1:2379]\n  password: [hunter2-in-a-list]\n  username: u\n`
    const err = refusal(text)
    expect(err.message).toContain('etcd.password must be a string')
    expect(err.message).not.toContain('hunter2')
    expect(refusal(`${MINIMAL}etcd:\n  endpoints: [127.0.0.1:2379]\n  password: hunter2\n`).message).not.toContain('hunter2')
  })

  it('refuses hostile sizes quickly: a nodeset of a billion names, an alias bomb', () => {
    const t0 = Date.now()
    expect(refusal(`${MINIMAL}dest: ["n[1-1000000000]"]\n`).message).toContain('more than 10000')
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)].join('\n')
    expect(refusal(`${bomb}\n`).message).toContain('unknown key "a"')
    expect(Date.now() - t0).toBeLessThan(2000)
  })

  describe('from a file', () => {
    let dir: string
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'x-router-config-'))
    })
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true })
    })

    it('resolves relative paths against the file\'s directory and names the file in refusals', async () => {
      const file = join(dir, 'router.yaml')
      await writeFile(file, `${MINIMAL.replace('/k]', 'host_key]')}route_select: nope\n`)
      await expect(loadRouterConfig(file)).rejects.toMatchObject({ code: 'ERR_SSH_ROUTER_CONFIG', file, line: 5, message: expect.stringMatching(new RegExp(`^${file}:5:15: route_select`)) })
      await writeFile(file, MINIMAL.replace('/k]', 'host_key]'))
      expect((await loadRouterConfig(file)).hostKeys).toEqual([join(dir, 'host_key')])
    })

    it('refuses a file it cannot read with its errno code, at line 1', async () => {
      await expect(loadRouterConfig(join(dir, 'missing.yaml'))).rejects.toMatchObject({ code: 'ERR_SSH_ROUTER_CONFIG', line: 1, message: expect.stringContaining('cannot read the config (ENOENT)') })
    })
  })
})
