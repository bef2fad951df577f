/**
 * Differential test: for every case, resolveSshConfig() must give exactly what OpenSSH 9.2's
 * `ssh -G` prints (every key it prints, not only the ones a Connection honours), or refuse with
 * ConfigError where ssh refuses.
 */
import { basename } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '@x/transport'
import { HOST_CASES } from './fixtures/cases-hosts.js'
import { INCLUDE_CASES } from './fixtures/cases-includes.js'
import { VALUE_CASES } from './fixtures/cases-values.js'
import { differences, runCase, type OracleCase } from './fixtures/oracle.js'

/** The keys DESIGN.md §3 says a Connection honours: each must be among the compared ones. */
const HONOURED = ['hostname', 'user', 'port', 'identityfile', 'identitiesonly', 'identityagent', 'proxyjump', 'proxycommand',
  'connecttimeout', 'serveraliveinterval', 'serveralivecountmax', 'stricthostkeychecking', 'userknownhostsfile',
  'globalknownhostsfile', 'hashknownhosts', 'forwardagent', 'ciphers', 'kexalgorithms', 'macs', 'hostkeyalgorithms',
  'compression', 'rekeylimit', 'localforward', 'remoteforward', 'sendenv', 'setenv']

const ALL: readonly OracleCase[] = [...HOST_CASES, ...INCLUDE_CASES, ...VALUE_CASES]

describe('resolveSshConfig against ssh -G (OpenSSH 9.2)', () => {
  it('has at least 60 cases', () => {
    expect(ALL.length).toBeGreaterThanOrEqual(60)
  })

  it('compares every honoured key somewhere in the cases', () => {
    const seen = new Set<string>()
    for (const c of ALL.slice(0, 1).concat(VALUE_CASES)) {
      const run = runCase(c)
      if (run.ssh.ok) for (const k of run.ssh.keys.keys()) seen.add(k)
    }
    expect(HONOURED.filter((k) => !seen.has(k))).toEqual([])
  })

  for (const c of ALL) {
    const verb = c.error === true ? 'refuses like ssh' : c.refusedHere !== undefined ? 'refuses on purpose where ssh accepts' : 'matches ssh -G'
    it(`${verb}: ${c.name}`, () => {
      const run = runCase(c)
      if (c.refusedHere !== undefined) {
        expect(run.ssh.ok, 'ssh -G accepts this config').toBe(true)
        expect(run.ours.ok ? 'resolved' : run.ours.error).toBeInstanceOf(ConfigError)
        return
      }
      if (c.error === true) {
        expect(run.ssh.ok, 'ssh -G refuses this config').toBe(false)
        expect(run.ours.ok ? 'resolved' : run.ours.error).toBeInstanceOf(ConfigError)
        // Where ssh names a file and line, we name the same ones.
        const where = run.ssh.ok ? null : /([^\s:]+):? line (\d+)/.exec(run.ssh.stderr)
        if (where !== null && !run.ours.ok) {
          const error = run.ours.error as ConfigError
          expect([basename(error.file ?? ''), error.line]).toEqual([basename(where[1] ?? ''), Number(where[2])])
        }
        return
      }
      if (!run.ssh.ok) throw new Error(`ssh -G failed: ${run.ssh.stderr}`)
      if (!run.ours.ok) throw run.ours.error
      expect(differences(run.ssh.keys, run.ours.config)).toEqual([])
    })
  }
})
