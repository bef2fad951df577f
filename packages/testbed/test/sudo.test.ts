import { statSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SUDOERS_FILE, VISUDO, ensureSudo, runCommand, startSshd, sudoersText, testUser } from '../src/index.js'
import type { CommandOutput, SshdHandle, TestUser } from '../src/index.js'
import { ssh2Connect, ssh2End } from './helpers.js'

describe('ensureSudo', () => {
  let sshd: SshdHandle
  let user: TestUser
  beforeAll(async () => {
    await ensureSudo()
    ;[sshd, user] = await Promise.all([startSshd(), testUser()])
  })
  afterAll(() => sshd?.close())

  /** Runs `command` over the OpenSSH client (key login, no tty) with `input` on its stdin. */
  const sshExec = (command: string, input: string): Promise<CommandOutput> =>
    runCommand('/usr/bin/ssh', [
      '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes',
      '-o', `UserKnownHostsFile=${sshd.knownHostsFile}`, '-o', 'GlobalKnownHostsFile=/dev/null',
      '-i', sshd.clientKeys.ed25519.privatePath, '-p', String(sshd.port), `${sshd.user}@${sshd.host}`, command,
    ], { input, allowFailure: true, timeoutMs: 20_000 })

  it('installs a root-owned 0440 drop-in that visudo accepts, and sudo -l shows its rule', async () => {
    const info = statSync(SUDOERS_FILE)
    expect([info.uid, info.gid, info.mode & 0o777]).toEqual([0, 0, 0o440])
    expect(await runCommand('/usr/bin/cat', [SUDOERS_FILE]).then((o) => o.stdout)).toBe(sudoersText())
    await runCommand(VISUDO, ['-c', '-f', SUDOERS_FILE])
    const rules = await runCommand('/usr/bin/sudo', ['-l', '-U', user.name])
    expect(rules.stdout).toMatch(/timestamp_timeout=0, passwd_tries=1/)
    expect(rules.stdout).toMatch(/^\s+\(root\) ALL$/m)
    expect(rules.stdout).not.toMatch(/NOPASSWD/)
    await ensureSudo() // idempotent
  })

  it('runs a command as root over an sshd exec channel (no tty) with the password on stdin (-S)', async () => {
    const out = await sshExec("sudo -S -p 'PROMPT:' whoami", `${user.password}\n`)
    expect(out.code).toBe(0)
    expect(out.stdout).toBe('root\n')
    expect(out.stderr).toBe('PROMPT:') // -S: the prompt goes to stderr, no newline after it
  })

  it('fails within a few seconds and with exit 1 on a wrong password (one try)', async () => {
    const started = Date.now()
    const out = await sshExec("sudo -S -p 'PROMPT:' whoami", 'not-the-password\n')
    expect(Date.now() - started).toBeLessThan(8000) // PAM's failure delay is ~2 s
    expect(out.code).toBe(1)
    expect(out.stdout).toBe('')
    expect(out.stderr).toMatch(/^PROMPT:sudo: 1 incorrect password attempt$/m)
  })

  it('caches no credential: a second sudo in the same session needs the password again', async () => {
    const out = await sshExec(
      "sudo -S -p '' true && echo first=ok; sudo -n true; echo second=$?",
      `${user.password}\n`,
    )
    expect(out.stdout).toBe('first=ok\nsecond=1\n')
    expect(out.stderr).toContain('a password is required')
  })

  it('needs -S without a tty, whatever use_pty says', async () => {
    const out = await sshExec("sudo -p 'PROMPT:' whoami", `${user.password}\n`)
    expect(out.code).toBe(1)
    expect(out.stdout).toBe('')
    expect(out.stderr).toContain('a terminal is required to read the password')
  })

  it('with a pty, prompts on the terminal and does not echo a password sent after the prompt', async () => {
    const client = await ssh2Connect({
      host: sshd.host, port: sshd.port, username: sshd.user, privateKey: sshd.clientKeys.ed25519.privateText,
    })
    try {
      const output = await new Promise<string>((resolve, reject) => {
        client.exec("sudo -p 'PROMPT:' sh -c 'whoami; tty'", { pty: true }, (err, stream) => {
          if (err) return reject(err)
          let text = ''
          stream.on('data', (chunk: Buffer) => {
            text += chunk.toString()
            // Typed ahead of the prompt, the pty would echo it before sudo turns echo off.
            if (text.endsWith('PROMPT:')) stream.write(`${user.password}\n`)
          })
          stream.on('error', reject)
          stream.on('close', () => resolve(text))
        })
      })
      expect(output.includes(user.password), 'the password was echoed').toBe(false)
      expect(output).toMatch(/^PROMPT:\r\nroot\r\n\/dev\/pts\/\d+\r\n$/)
    } finally {
      await ssh2End(client)
    }
  })
})
