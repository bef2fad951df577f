/**
 * Keywords of OpenSSH after 9.2 (up to 10.5) and of vendor builds (Apple): a real-world config
 * that uses them resolves, what is not acted on is reported, Tag feeds `Match tagged` and
 * RefuseConnection refuses as ssh does. (ssh 9.2 on this machine cannot be the oracle here; the
 * differential corpus checks the parts 9.2 knows.)
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSshd, type SshdHandle } from '@x/testbed'
import { ConfigError, Connection, resolveSshConfig, type SshConfigWarning } from '@x/connection'
import { connectionTo } from './helpers.js'
import { configErrorOf } from '../../ssh-config/test/config-error-of.js'

let home: string
let sshd: SshdHandle
beforeAll(async () => {
  home = mkdtempSync(join(os.tmpdir(), 'x-ssh-config-newer-'))
  sshd = await startSshd()
})
afterAll(async () => {
  await sshd?.close()
  rmSync(home, { recursive: true, force: true })
})

const PATH = '/virtual/config'

function resolve(text: string, host = 'web', extra: { debug?: (line: string) => void } = {}): { config: Record<string, unknown>; warnings: SshConfigWarning[] } {
  const warnings: SshConfigWarning[] = []
  const config = resolveSshConfig(host, {
    config: { text, path: PATH }, homeDir: home, systemConfigPath: join(home, 'none'), localUser: 'me',
    onWarning: (w) => warnings.push(w), ...extra,
  })
  return { config, warnings }
}

/** Every keyword OpenSSH 10.5 or Apple's ssh knows and 9.2 does not, with a value that ssh accepts. */
const NEWER = [
  ['ObscureKeystrokeTiming', 'interval:80', 'newer-openssh'],
  ['ChannelTimeout', 'session=5m global=1h', 'newer-openssh'],
  ['VersionAddendum', 'hello there', 'newer-openssh'],
  ['WarnWeakCrypto', 'no-pq-kex', 'newer-openssh'],
  ['UseKeychain', 'yes', 'vendor'],
  ['NoHostAuthenticationForProxyCommand', 'yes', 'vendor'],
  ['AppleMultipath', 'yes', 'vendor'],
] as const

describe('ssh_config keywords newer than OpenSSH 9.2 and vendor keywords', () => {
  it('resolves GitHub macOS guide config (UseKeychain yes) and reports UseKeychain as ignored', () => {
    const { config, warnings } = resolve('Host *\n  AddKeysToAgent yes\n  UseKeychain yes\n  IdentityFile ~/.ssh/id_ed25519\n')
    expect(config['identityfile']).toEqual(['~/.ssh/id_ed25519'])
    expect(warnings).toEqual([{ keyword: 'usekeychain', file: PATH, line: 3, reason: 'vendor' }])
  })

  it('resolves every keyword of OpenSSH 10.5 and Apple ssh that 9.2 lacks, reporting each by file, line and reason', () => {
    const text = NEWER.map(([k, v]) => `${k} ${v}\n`).join('')
    const { config, warnings } = resolve(text)
    expect(config['user']).toBe('me')
    expect(warnings).toEqual(NEWER.map(([k, , reason], i) => ({ keyword: k.toLowerCase(), file: PATH, line: i + 1, reason })))
    for (const [k] of NEWER) expect(config[k.toLowerCase()]).toBeUndefined()
  })

  it('does not report ignored keywords inside blocks that do not apply to the host', () => {
    expect(resolve('Host mac\n  UseKeychain yes\n').warnings).toEqual([])
  })

  it('reports each ignored line once even when a Match final pass reads the files again', () => {
    const { warnings } = resolve('UseKeychain yes\nMatch final\n  User later\n')
    expect(warnings).toHaveLength(1)
  })

  it('sends one debug line per reported keyword', () => {
    const lines: string[] = []
    resolve('UseKeychain yes\nWarnWeakCrypto no\n', 'web', { debug: (l) => lines.push(l) })
    expect(lines).toHaveLength(2)
  })

  it('selects Match tagged blocks by Tag, and ssh -G 10 prints the tag', () => {
    const text = 'Host web\n  Tag prod\nMatch tagged prod\n  User deploy\nMatch tagged=staging\n  Port 2222\n'
    const { config, warnings } = resolve(text)
    expect([config['user'], config['port'], config['tag']]).toEqual(['deploy', '22', 'prod'])
    expect(warnings).toEqual([])
    // No Tag: only an empty criterion matches.
    const untagged = resolve('Match tagged ""\n  User empty\n', 'db').config
    expect([untagged['user'], untagged['tag']]).toEqual(['empty', undefined])
  })

  it('raises ConfigError with file and line for RefuseConnection in a block that applies', () => {
    const error = configErrorOf(() => resolve('Host old\n  RefuseConnection "use new instead"\n', 'old'))
    expect([error.file, error.line]).toEqual([PATH, 2])
    expect(resolve('Host old\n  RefuseConnection "use new instead"\n', 'web').config['host']).toBe('web')
  })

  it('raises ConfigError from new Connection() for a host ssh_config refuses', () => {
    expect(() => new Connection('old', { config: { text: 'Host old\n  RefuseConnection retired\n' } })).toThrow(ConfigError)
  })

  it('still refuses a keyword no ssh knows, unless IgnoreUnknown matches it, and reports the skip', () => {
    expect(configErrorOf(() => resolve('Bogus yes\n')).line).toBe(1)
    const { warnings } = resolve('IgnoreUnknown bog*\nBogus yes\n')
    expect(warnings).toEqual([{ keyword: 'bogus', file: PATH, line: 2, reason: 'ignore-unknown' }])
  })

  it('reports the obsolete keywords OpenSSH itself ignores', () => {
    expect(resolve('UseRoaming no\n').warnings).toEqual([{ keyword: 'useroaming', file: PATH, line: 1, reason: 'obsolete' }])
  })

  it('exposes the warnings on the Connection as sshConfigWarnings, outside sshConfig', () => {
    const c = new Connection('web', { config: { text: 'UseKeychain yes\n', path: PATH } })
    expect(c.sshConfigWarnings).toEqual([{ keyword: 'usekeychain', file: PATH, line: 1, reason: 'vendor' }])
    expect(Object.isFrozen(c.sshConfigWarnings)).toBe(true)
    expect(c.sshConfig['usekeychain']).toBeUndefined()
  })

  it('connects and runs a command with a config full of newer and vendor keywords', async () => {
    const lines: string[] = []
    await using c = connectionTo(sshd, { debug: (l) => lines.push(l) }, [...NEWER.map(([k, v]) => `${k} ${v}`), 'Tag t1', 'Match tagged t1', '  ServerAliveCountMax 7'])
    expect(c.sshConfig['serveralivecountmax']).toBe('7')
    expect((await c.run('echo ok')).stdout).toBe('ok\n')
    // Connection's debug callback gets one line per ignored keyword, with the hop's prefix.
    const ignored = lines.filter((l) => / config: .* line \d+: ignoring /.test(l))
    expect(ignored).toHaveLength(c.sshConfigWarnings.length)
    expect(c.sshConfigWarnings.length).toBeGreaterThan(0)
  })
})
