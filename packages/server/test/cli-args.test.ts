// x-sshd's command line: what it accepts and the UsageError for what it does not.
import { describe, expect, it } from 'vitest'
import { parseArgs } from '../src/cli/args.js'
import { UsageError } from '../src/cli/usage-error.js'

const KEYS = ['--authorized-keys', 'ak']

describe('parseArgs', () => {
  it('applies the defaults: 127.0.0.1:2222, sftp only, text logs, 10 s drain', () => {
    expect(parseArgs([...KEYS, '--root', '/srv'])).toMatchObject({
      command: 'serve', host: '127.0.0.1', port: 2222, allow: new Set(['sftp']), log: 'text', drainMs: 10_000, readOnly: false, hostKeys: [],
    })
  })

  it('reads [v6]:port, repeated --host-key, --opt=value and every option', () => {
    const o = parseArgs(['--listen', '[::1]:0', '--host-key', 'a', '--host-key=b', '--password-file', 'pw', '--allow', 'exec,shell,forward',
      '--log', 'json', '--state-dir', '/s', '--max-startups', '3', '--drain-ms', '0', '--read-only'])
    expect(o).toMatchObject({ host: '::1', port: 0, hostKeys: ['a', 'b'], passwordFile: 'pw', allow: new Set(['exec', 'shell', 'forward']), log: 'json', stateDir: '/s', maxStartups: 3, drainMs: 0, readOnly: true })
  })

  it('recognises --help, --version and hash-password', () => {
    expect(parseArgs(['--listen', 'bad', '--help'])).toEqual({ command: 'help' })
    expect(parseArgs(['--version'])).toEqual({ command: 'version' })
    expect(parseArgs(['hash-password'])).toEqual({ command: 'hash-password' })
  })

  it.each([
    [['--root', '/srv']],
    [[...KEYS]],
    [[...KEYS, '--allow', 'exec,']],
    [[...KEYS, '--allow', 'exec', '--listen', '1.2.3.4']],
    [[...KEYS, '--allow', 'exec', '--listen', '::1:22']],
    [[...KEYS, '--allow', 'exec', '--listen', 'h:70000']],
    [[...KEYS, '--allow', 'exec', '--log', 'xml']],
    [[...KEYS, '--allow', 'exec', '--max-startups', '0']],
    [[...KEYS, '--allow', 'exec', '--drain-ms', '-1']],
    [[...KEYS, '--allow', 'exec', '--root']],
    [[...KEYS, ...KEYS, '--allow', 'exec']],
    [[...KEYS, '--allow', 'exec', 'extra']],
    [['hash-password', 'x']],
  ])('raises UsageError (ERR_USAGE) for %j', (argv) => {
    let err: unknown
    try {
      parseArgs(argv)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(UsageError)
    expect(err).toMatchObject({ code: 'ERR_USAGE' })
    expect((err as Error).message).not.toContain('\n')
  })
})
