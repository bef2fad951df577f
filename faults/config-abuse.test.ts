/**
 * Config abuse (issue #5): hostile ssh_config input ends in a typed ConfigError or a correct
 * parse, each within 1 s, with memory bounded; `Match exec` never runs without consent.
 *
 * Already proven in packages/ssh-config/test/file-safety.test.ts (not repeated here):
 * Include loops (direct and glob fan-out), a 17-deep Include chain, a FIFO behind an Include, a
 * FIFO / device / directory given as the config, a sparse 50 MB file, a symlink to /dev/zero,
 * a file just under the size cap, the total-bytes budget, NUL bytes, and `Match exec` at the
 * resolver. This file adds: `Include /dev/zero` itself, an Include of a directory (against
 * `ssh -G`), a 50 MB config of real lines, worst-case wildcard patterns, CRLF configs against
 * `ssh -G`, heap and RSS growth over every hostile config, and `Match exec` through Connection
 * and its ProxyJump hops.
 */
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { ConfigError, Connection } from '@x/connection'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveSshConfig, type ResolvedSshConfig } from '../packages/ssh-config/src/index.js'
import { differences, runCase, type OracleCase } from '../packages/ssh-config/test/fixtures/oracle.js'
import { recordFigure } from './support/figures.js'
import { collectGarbage } from './support/leaks.js'

let home: string
beforeAll(() => {
  home = mkdtempSync(join(os.tmpdir(), 'xssh-config-abuse-'))
  mkdirSync(join(home, '.ssh'))
})
afterAll(() => {
  rmSync(home, { recursive: true, force: true })
})

function write(rel: string, text: string): string {
  const path = join(home, rel)
  writeFileSync(path, text)
  return path
}

/** Resolves `host` with `config`; the outcome, the time taken and the memory it cost. */
function resolveMeasured(host: string, config: string): { outcome: ResolvedSshConfig | unknown; ms: number; heapMiB: number; rssMiB: number } {
  collectGarbage()
  const before = process.memoryUsage()
  const t0 = performance.now()
  let outcome: ResolvedSshConfig | unknown
  try {
    outcome = resolveSshConfig(host, { config, homeDir: home, localUser: 'me' })
  } catch (err) {
    outcome = err
  }
  const ms = performance.now() - t0
  // RSS right after the call (before GC gives memory back) bounds what the resolver held.
  const rssMiB = (process.memoryUsage().rss - before.rss) / 2 ** 20
  collectGarbage()
  const heapMiB = (process.memoryUsage().heapUsed - before.heapUsed) / 2 ** 20
  return { outcome, ms, heapMiB, rssMiB }
}

/** Writes `bytes` of real config lines (not a sparse file) to `rel`. */
function writeBig(rel: string, bytes: number): string {
  const path = join(home, rel)
  const block = Buffer.from('Host other-*\n  User nobody\n  IdentityFile ~/.ssh/x\n'.repeat(20_000))
  const fd = openSync(path, 'w')
  try {
    for (let written = 0; written < bytes; written += block.length) writeSync(fd, block)
  } finally {
    closeSync(fd)
  }
  return path
}

describe('hostile configs: ConfigError or a correct parse, within 1 s, memory bounded', () => {
  const cases: Array<{ name: string; host?: string; setup(): string; expect: 'ConfigError' | ((c: ResolvedSshConfig) => void) }> = [
    { name: 'Include /dev/zero', setup: () => write('.ssh/zero', 'Host *\n  Include /dev/zero\n'), expect: 'ConfigError' },
    { name: 'Include /dev/urandom through a glob', setup: () => write('.ssh/urandom', 'Include /dev/urando?\n'), expect: 'ConfigError' },
    {
      name: 'Include of a directory',
      setup: () => {
        mkdirSync(join(home, '.ssh/conf.d'), { recursive: true })
        return write('.ssh/dir', 'Include conf.d\nHost web\n  User after\n')
      },
      expect: 'ConfigError',
    },
    {
      name: 'a 50 MB config of real lines, given directly',
      setup: () => writeBig('big-direct.conf', 50 * 2 ** 20),
      expect: 'ConfigError',
    },
    {
      name: 'a 50 MB config of real lines, behind an Include',
      setup: () => {
        writeBig('.ssh/big-included.conf', 50 * 2 ** 20)
        return write('.ssh/big-includer', 'Include big-included.conf\n')
      },
      expect: 'ConfigError',
    },
    {
      name: 'an Include loop (see file-safety.test.ts), for its memory',
      setup: () => {
        write('.ssh/loop-a.conf', 'Include loop-b.conf\n')
        write('.ssh/loop-b.conf', 'Include loop-a.conf\n')
        return write('.ssh/loop', 'Include loop-a.conf\n')
      },
      expect: 'ConfigError',
    },
    {
      name: 'a 17-deep Include chain (see file-safety.test.ts), for its memory',
      setup: () => {
        for (let i = 1; i <= 17; i++) write(`.ssh/deep${i}.conf`, i < 17 ? `Include deep${i + 1}.conf\n` : 'User deep\n')
        return write('.ssh/deep', 'Include deep1.conf\n')
      },
      expect: 'ConfigError',
    },
    {
      name: 'Includes fanning out past the total budget, for its memory',
      setup: () => {
        for (let i = 0; i < 8; i++) writeBig(`.ssh/fan${i}.conf`, 900 * 1024)
        return write('.ssh/fan', 'Include fan*.conf\n')
      },
      expect: 'ConfigError',
    },
    {
      name: 'a line of NUL bytes',
      host: 'web',
      setup: () => write('.ssh/nul', `Host web\n  User ${'\0'.repeat(100_000)}\n`),
      expect: 'ConfigError',
    },
    {
      name: 'one 900 KiB line',
      host: 'web',
      setup: () => write('.ssh/long-line', `Host web\n  User long\n  SendEnv ${'X'.repeat(900 * 1024)}\n`),
      expect: (c) => expect(c['user']).toBe('long'),
    },
    {
      // Each pattern is under OpenSSH's 1023-byte limit; a naive recursive matcher is exponential here.
      name: 'worst-case wildcard patterns filling the size cap',
      setup: () => {
        const pattern = `${'*a'.repeat(500)}b`
        const lines: string[] = []
        for (let size = 0; size < 1000 * 1024; size += pattern.length + 20) lines.push(`Host ${pattern}\n  User never`)
        return write('.ssh/patterns', `${lines.join('\n')}\nHost *\n  User fallback\n`)
      },
      expect: (c) => expect(c['user']).toBe('fallback'),
    },
  ]
  // A long name (the worst-case patterns are tried against it); no case's Host block names it.
  const host = `web${'a'.repeat(200)}`

  for (const c of cases) {
    it(`${c.name}: ${c.expect === 'ConfigError' ? 'ConfigError' : 'parsed'} within 1 s, heap < 5 MiB, RSS < 64 MiB`, () => {
      const config = c.setup()
      const { outcome, ms, heapMiB, rssMiB } = resolveMeasured(c.host ?? host, config)
      recordFigure({ case: `config abuse: ${c.name}`, measure: 'time to outcome', value: Math.round(ms * 10) / 10, unit: 'ms', bound: 1_000 })
      recordFigure({ case: `config abuse: ${c.name}`, measure: 'heap growth after GC', value: Math.round(heapMiB * 100) / 100, unit: 'MiB', bound: 5 })
      recordFigure({ case: `config abuse: ${c.name}`, measure: 'RSS growth', value: Math.round(rssMiB * 100) / 100, unit: 'MiB', bound: 64 })
      if (c.expect === 'ConfigError') {
        expect(outcome).toBeInstanceOf(ConfigError)
        expect((outcome as ConfigError).code).toBe('ERR_SSH_CONFIG')
      } else {
        expect(outcome).not.toBeInstanceOf(Error)
        c.expect(outcome as ResolvedSshConfig)
      }
      expect(ms).toBeLessThan(1_000)
      expect(heapMiB).toBeLessThan(5)
      expect(rssMiB).toBeLessThan(64)
    })
  }
})

describe('what ssh -G says (OpenSSH 9.2 as the oracle)', () => {
  const crlf = (text: string): string => text.replace(/\n/g, '\r\n')
  const oracleCases: OracleCase[] = [
    {
      name: 'CRLF everywhere: Host lists, Match, key=value, quoted values, an Include, no final newline',
      files: {
        '.ssh/config': crlf('Host web db\n  HostName web.example.org\n  Port=2202\n  IdentityFile "~/.ssh/id with space"\nMatch user deploy\n  Port 2300\nInclude extra.conf\nHost *\n  ServerAliveInterval 7\n  SendEnv LANG LC_*'),
        '.ssh/extra.conf': crlf('Host web\n  User from-include\n  ProxyJump jump1,jump2\n'),
      },
      host: 'web',
    },
    {
      name: 'CRLF with comments, blank lines and tabs',
      files: { '.ssh/config': crlf('# comment\n\nHost\tweb\n\t# inner comment\n\tUser\ttabbed\n\n\tConnectTimeout 9\n') },
      host: 'web',
    },
    {
      name: 'mixed LF and CRLF lines',
      files: { '.ssh/config': 'Host web\r\n  User mixed\n  Port 2222\r\n  HostName h.example\n' },
      host: 'web',
      user: 'other',
    },
  ]
  for (const c of oracleCases) {
    it(`parses ${c.name} exactly as ssh -G does, within 1 s`, () => {
      const t0 = performance.now()
      const run = runCase(c)
      if (!run.ssh.ok) throw new Error(`ssh -G failed: ${run.ssh.stderr}`)
      if (!run.ours.ok) throw run.ours.error
      expect(differences(run.ssh.keys, run.ours.config)).toEqual([])
      // The oracle's own time includes ssh -G; ours alone is measured again below.
      expect(performance.now() - t0).toBeLessThan(10_000)
    })
  }

  it('refuses an Include of a directory, which ssh -G reads as empty (refused on purpose: not a regular file)', () => {
    const run = runCase({ name: 'dir', files: { '.ssh/conf.d/inner.conf': 'User inner\n', '.ssh/config': 'Include conf.d\nHost web\n  User after\n' }, host: 'web' })
    expect(run.ssh.ok, 'ssh -G accepts it').toBe(true)
    if (run.ssh.ok) expect(run.ssh.keys.get('user')).toEqual(['after'])
    expect(run.ours.ok ? 'resolved' : run.ours.error).toBeInstanceOf(ConfigError)
  })
})

describe('Match exec without consent, through Connection', () => {
  it('never runs it for the target nor for a ProxyJump hop; ConfigError names the file and line', () => {
    const marker = join(home, 'match-exec-marker')
    const config = write('.ssh/match-exec', [
      'Host target',
      '  HostName 127.0.0.1',
      `Match originalhost jump exec "touch ${marker}"`,
      '  User j',
      `Match originalhost target exec "touch ${marker}"`,
      '  User t',
      '',
    ].join('\n'))
    const direct = (() => {
      try {
        return new Connection('target', { config })
      } catch (err) {
        return err
      }
    })()
    expect(direct).toBeInstanceOf(ConfigError)
    expect([(direct as ConfigError).file, (direct as ConfigError).line]).toEqual([config, 5])
    // The hop is resolved at construction too, with its own Match exec.
    const viaHop = (() => {
      try {
        return new Connection('elsewhere', { config, proxyJump: 'jump' })
      } catch (err) {
        return err
      }
    })()
    expect(viaHop).toBeInstanceOf(ConfigError)
    expect([(viaHop as ConfigError).file, (viaHop as ConfigError).line]).toEqual([config, 3])
    expect(existsSync(marker)).toBe(false)
  })

  it('runs it once the caller opts in (the marker appears), proving the test can see a run', () => {
    const marker = join(home, 'match-exec-consent')
    const config = write('.ssh/match-exec-consent', `Match host target exec "touch ${marker}"\n  User consented\n`)
    const c = new Connection('target', { config, allowMatchExec: true })
    expect(c.user).toBe('consented')
    expect(existsSync(marker)).toBe(true)
  })
})
