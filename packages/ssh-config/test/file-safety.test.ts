/**
 * The resolver never blocks, never runs a command without consent, and bounds its work:
 * Include loops, 17-deep chains, FIFOs, devices and huge files fail with ConfigError fast.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ConfigError } from '@x/transport'
import { MAX_CONFIG_FILE_BYTES, resolveSshConfig, type ResolveSshConfigOptions } from '../src/index.js'

let home: string

beforeEach(() => {
  home = mkdtempSync(join(os.tmpdir(), 'x-ssh-config-safety-'))
  mkdirSync(join(home, '.ssh'))
})
afterEach(() => {
  rmSync(home, { recursive: true, force: true })
})

function write(rel: string, text: string): string {
  const path = join(home, rel)
  writeFileSync(path, text)
  return path
}

/** Resolves and returns the ConfigError it raised, with the time taken. */
function refusal(host: string, options: ResolveSshConfigOptions): { error: ConfigError; ms: number } {
  const start = performance.now()
  try {
    resolveSshConfig(host, { homeDir: home, ...options })
  } catch (error) {
    const ms = performance.now() - start
    expect(error).toBeInstanceOf(ConfigError)
    return { error: error as ConfigError, ms }
  }
  throw new Error('resolveSshConfig did not refuse')
}

describe('resolveSshConfig bounds its work', () => {
  it('raises ConfigError within 1 s for an Include loop, naming the including line', () => {
    write('.ssh/a.conf', 'User a\nInclude b.conf\n')
    write('.ssh/b.conf', 'Include a.conf\n')
    const config = write('.ssh/config', '# loop\nInclude a.conf\n')
    const { error, ms } = refusal('web', { config })
    expect(ms).toBeLessThan(1000)
    expect(error.file).toBe(join(home, '.ssh/b.conf'))
    expect(error.line).toBe(1)
  })

  it('raises ConfigError within 1 s for a loop that fans out through globs', () => {
    for (const n of ['1', '2', '3', '4']) write(`.ssh/f${n}.conf`, 'Include f*.conf\n')
    const config = write('.ssh/config', 'Include f*.conf\n')
    expect(refusal('web', { config }).ms).toBeLessThan(1000)
  })

  it('raises ConfigError within 1 s for a 17-deep Include chain and reads a 16-deep one', () => {
    for (let i = 1; i <= 17; i++) write(`.ssh/c${i}.conf`, i < 17 ? `Include c${i + 1}.conf\n` : 'User deep\n')
    const config = write('.ssh/config', 'Include c1.conf\n')
    const { error, ms } = refusal('web', { config })
    expect(ms).toBeLessThan(1000)
    expect(error.file).toBe(join(home, '.ssh/c16.conf'))
    write('.ssh/c16.conf', 'User depth16\n')
    expect(resolveSshConfig('web', { config, homeDir: home }).user).toBe('depth16')
  })

  it('raises ConfigError within 1 s for an Include of a FIFO, without opening it for a blocking read', () => {
    execFileSync('mkfifo', [join(home, '.ssh/fifo.conf')])
    const config = write('.ssh/config', 'Host *\n  Include fifo.conf\n')
    const { error, ms } = refusal('web', { config })
    expect(ms).toBeLessThan(1000)
    expect([error.file, error.line]).toEqual([config, 2])
  })

  it('refuses a FIFO, a device and a directory given as the config file', () => {
    execFileSync('mkfifo', [join(home, 'fifo')])
    expect(refusal('web', { config: join(home, 'fifo') }).ms).toBeLessThan(1000)
    expect(refusal('web', { config: '/dev/zero' }).ms).toBeLessThan(1000)
    expect(refusal('web', { config: home }).error.file).toBe(home)
  })

  it('reads /dev/null as an empty config, as `ssh -F /dev/null` does', () => {
    expect(resolveSshConfig('web', { config: '/dev/null', homeDir: home, localUser: 'me' }).user).toBe('me')
  })

  it('refuses a 50 MB config within 1 s without reading it', () => {
    const big = join(home, 'big.conf')
    writeFileSync(big, '')
    execFileSync('truncate', ['-s', '50M', big])
    expect(refusal('web', { config: big }).ms).toBeLessThan(1000)
  })

  it('refuses a symlink to /dev/zero behind an Include', () => {
    symlinkSync('/dev/zero', join(home, '.ssh/zero.conf'))
    const config = write('.ssh/config', 'Include zero.conf\n')
    expect(refusal('web', { config }).ms).toBeLessThan(1000)
  })

  it('resolves a config just under the size cap within 1 s', () => {
    const block = 'Host other-*\n  User nobody\n  IdentityFile ~/.ssh/x\n'
    const text = `${block.repeat(Math.floor((MAX_CONFIG_FILE_BYTES - 64) / block.length))}Host web\n  User found\n`
    const config = write('.ssh/config', text)
    const start = performance.now()
    expect(resolveSshConfig('web', { config, homeDir: home }).user).toBe('found')
    expect(performance.now() - start).toBeLessThan(1000)
  })

  it('raises ConfigError within 1 s when Includes fan out past the total budget', () => {
    const filler = `${'Host other-*\n  User nobody\n'.repeat(30000)}`
    for (let i = 0; i < 8; i++) write(`.ssh/big${i}.conf`, filler)
    const config = write('.ssh/config', 'Include big*.conf\n')
    expect(refusal('web', { config }).ms).toBeLessThan(1000)
  })

  it('refuses a NUL byte, naming its line', () => {
    const config = write('.ssh/config', 'User a\nHost web\0\n')
    expect([refusal('web', { config }).error.line]).toEqual([2])
  })
})

describe('Match exec', () => {
  it('never runs its command without allowMatchExec, and raises ConfigError naming file and line', () => {
    const marker = join(home, 'marker')
    const config = write('.ssh/config', `Host web\n  User x\nMatch exec "touch ${marker}"\n  Port 2222\n`)
    const { error } = refusal('web', { config })
    expect([error.file, error.line]).toEqual([config, 3])
    expect(existsSync(marker)).toBe(false)
  })

  it('is not an error when an earlier criterion on the line already failed (ssh would not run it)', () => {
    const marker = join(home, 'marker')
    const config = write('.ssh/config', `Match host db exec "touch ${marker}"\n  Port 2222\n`)
    expect(resolveSshConfig('web', { config, homeDir: home }).port).toBe('22')
    expect(existsSync(marker)).toBe(false)
  })

  it('runs its command with allowMatchExec and uses its exit status', () => {
    const marker = join(home, 'marker')
    const config = write('.ssh/config', `Match exec "touch ${marker}"\n  Port 2222\nMatch exec "exit 3"\n  User never\n`)
    const resolved = resolveSshConfig('web', { config, homeDir: home, allowMatchExec: true, localUser: 'me' })
    expect(existsSync(marker)).toBe(true)
    expect([resolved.port, resolved.user]).toEqual(['2222', 'me'])
  })

  it('does not run inside an Include under a block that did not match (its result could not count)', () => {
    const marker = join(home, 'marker')
    write('.ssh/inc.conf', `Match exec "touch ${marker}"\n  User x\n`)
    const config = write('.ssh/config', 'Host db\n  Include inc.conf\n')
    resolveSshConfig('web', { config, homeDir: home, allowMatchExec: true })
    expect(existsSync(marker)).toBe(false)
  })
})
