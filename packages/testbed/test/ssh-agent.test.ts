import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { clientKeys, isProcessAlive, startSshAgent, startSshd } from '../src/index.js'
import { openssh } from './helpers.js'

describe('startSshAgent', () => {
  it('runs a real ssh-agent that holds plain and passphrase-protected keys', async () => {
    const keys = await clientKeys()
    await using agent = await startSshAgent()
    expect(existsSync(agent.socketPath)).toBe(true)
    expect(await agent.list()).toEqual([])
    await agent.add(keys.ed25519.privatePath)
    await agent.add(keys.ed25519Encrypted.privatePath, keys.ed25519Encrypted.passphrase)
    const listed = await agent.list()
    expect(listed.map((l) => l.split(' ')[1])).toEqual([
      keys.ed25519.publicLine.split(' ')[1],
      keys.ed25519Encrypted.publicLine.split(' ')[1],
    ])
  })

  it('rejects an encrypted key given the wrong passphrase', async () => {
    const keys = await clientKeys()
    await using agent = await startSshAgent()
    await expect(agent.add(keys.ed25519Encrypted.privatePath, 'wrong')).rejects.toThrow()
  })

  it('lets the OpenSSH client log in to sshd through the agent', async () => {
    await using sshd = await startSshd()
    await using agent = await startSshAgent()
    await agent.add(sshd.clientKeys.ed25519Encrypted.privatePath, sshd.clientKeys.ed25519Encrypted.passphrase)
    const out = await openssh(sshd, ['-o', `IdentityAgent=${agent.socketPath}`], 'id -un')
    expect(out.stdout, out.stderr).toBe(`${sshd.user}\n`)
  })

  it('close() kills the agent and removes its socket; twice is fine', async () => {
    const agent = await startSshAgent()
    await agent.close()
    await agent.close()
    expect(isProcessAlive(agent.pid)).toBe(false)
    expect(existsSync(agent.socketPath)).toBe(false)
  })
})
