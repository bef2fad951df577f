// x-ssh-router from source, as `pnpm x-ssh-router` runs it: check prints the effective routes or
// the file:line:column of what is wrong; serve routes real ssh to real sshd, reloads on SIGHUP
// (a bad file keeps the old config) and drains on SIGTERM.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authorizedKeysText, generateKey, runCommand, sourceCli, STATE_DIR, testUser, waitFor } from '@x/testbed'
import { startPool, type Pool } from './support/router-site.js'

const cli = sourceCli(fileURLToPath(new URL('../src/cli/main.ts', import.meta.url)), 'x-ssh-router')
const SSH = '/usr/bin/ssh'

describe('x-ssh-router check', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join('/tmp', 'x-router-cli-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('prints the effective routes of a good config and exits 0', async () => {
    const file = join(dir, 'good.yaml')
    await writeFile(file, [
      'listen: [127.0.0.1:2222]',
      'host_keys: [host_key]',
      'front_auth: { authorized_keys: /etc/x-ssh-router/keys/%u }',
      'upstream: { known_hosts: known_hosts }',
      'dest: ["node[1-3]:22"]',
      'route_select: round-robin',
      'overrides:',
      '  - match: [{ users: [alice] }]',
      '    dest: [big1]',
      '',
    ].join('\n'))
    const r = await cli.run(['check', '--config', file])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('listen: 127.0.0.1:2222')
    expect(r.stdout).toContain('dest (3): node1:22 node2:22 node3:22')
    expect(r.stdout).toContain('route_select: round-robin')
    expect(r.stdout).toMatch(/override 1 \(line 8\) when users alice:\n {2}dest \(1\): big1:22/)
  })

  it('accepts the example config the README shows', async () => {
    const r = await cli.run(['check', '--config', fileURLToPath(new URL('../examples/router.yaml', import.meta.url))])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('dest (12): node01:22')
    expect(r.stdout).toMatch(/override 1 \(line \d+\) when groups ops:/)
  })

  it('names the file, line and column of what is wrong and exits 1', async () => {
    const file = join(dir, 'bad.yaml')
    await writeFile(file, 'listen: [127.0.0.1:2222]\nhost_keys: [k]\nfront_auth: { authorized_keys: /k/%u }\nupstream: { known_hosts: kh }\ndest: ["n[3-1]"]\n')
    const r = await cli.run(['check', '--config', file])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(new RegExp(`^x-ssh-router: ${file.replace(/[.]/g, '\\.')}:5:\\d+: dest`))
  })

  it('exits 2 on a bad command line, with the usage', async () => {
    for (const args of [[], ['frobnicate'], ['check'], ['check', '--config'], ['serve', '--config', 'x', '--log', 'loud']]) {
      const r = await cli.run(args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr).toContain('usage: x-ssh-router')
    }
  })
})

describe('x-ssh-router serve', () => {
  let pool: Pool
  let dir: string
  let configFile: string
  let clientKnownHosts: string
  let hostLine: string
  const config = (dest: string[]) => [
    'listen: [127.0.0.1:0]',
    `host_keys: [${join(dir, 'host_ed25519')}]`,
    `front_auth: { authorized_keys: ${join(dir, 'keys')}/%u }`,
    `upstream: { known_hosts: ${pool.knownHostsFile}, identity: ${pool.keys.ecdsa.privatePath} }`,
    `dest: [${dest.map((d) => `"${d}"`).join(', ')}]`,
    '',
  ].join('\n')
  beforeAll(async () => {
    pool = await startPool(2)
    // authorized_keys are read with StrictModes: no world-writable directory (such as /tmp) above them.
    await testUser()
    dir = await mkdtemp(join(STATE_DIR, 'router-serve-'))
    const host = await generateKey('ed25519', join(dir, 'host_ed25519'))
    hostLine = host.publicLine.split(' ').slice(0, 2).join(' ')
    await mkdir(join(dir, 'keys'), { mode: 0o755 })
    await writeFile(join(dir, 'keys', pool.user), authorizedKeysText(pool.keys), { mode: 0o644 })
    configFile = join(dir, 'router.yaml')
    await writeFile(configFile, config([pool.hosts[0]!.text]))
    clientKnownHosts = join(dir, 'client_known_hosts')
  }, 60_000)
  afterAll(async () => {
    await pool?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('routes ssh as the file says, reloads on SIGHUP (keeping the old config when the new one is bad), and drains on SIGTERM', async () => {
    await writeFile(configFile, config([pool.hosts[0]!.text]))
    await using router = cli.spawn(['serve', '--config', configFile, '--log', 'json'])
    const port = await router.listening()
    await writeFile(clientKnownHosts, `[127.0.0.1]:${port} ${hostLine}\n`)
    const ssh = async (cmd: string) => {
      const r = await runCommand(SSH, ['-F', '/dev/null', '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${clientKnownHosts}`, '-o', 'IdentitiesOnly=yes', '-i', pool.keys.ed25519.privatePath, '-p', String(port), `${pool.user}@127.0.0.1`, cmd], { allowFailure: true, timeoutMs: 20_000 })
      if (r.code !== 0) throw new Error(`ssh exited ${r.code}: ${r.stderr}\nrouter: ${router.stderr()}`)
      return r
    }
    expect((await ssh('echo "$X_HOST"')).stdout).toBe('h1\n')

    await writeFile(configFile, config([pool.hosts[1]!.text]))
    router.child.kill('SIGHUP')
    await waitFor(() => /reloaded /.test(router.stderr()), { timeoutMs: 10_000 })
    expect((await ssh('echo "$X_HOST"')).stdout).toBe('h2\n')

    await writeFile(configFile, config([pool.hosts[0]!.text]).replace('dest:', 'dest: [oops\nx:'))
    router.child.kill('SIGHUP')
    await waitFor(() => /reload refused, the old config stays: .*router\.yaml:\d+:\d+/.test(router.stderr()), { timeoutMs: 10_000 })
    expect((await ssh('echo "$X_HOST"')).stdout).toBe('h2\n')
    expect(router.stderr()).toMatch(/"event":"config-reload","ok":false/)

    router.child.kill('SIGTERM')
    expect(await router.exited).toEqual({ code: 0, signal: null })
  })
})
