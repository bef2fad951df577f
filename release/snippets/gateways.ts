// Code shown in docs/gateways.md; release/snippets.test.ts runs each function against a real
// sshd, with `config` an ssh_config text whose hosts (bastion, db, web) all name that sshd.
import { Connection, GatewayConflictError } from '@x/connection'
import type { SshConfigSource } from '@x/connection'

/** Reaches two targets through one bastion Connection that the caller owns (borrowed). */
export async function borrowedBastion(config: SshConfigSource): Promise<boolean> {
  // #region borrowed
  await using bastion = new Connection('bastion', { config })
  {
    await using db = new Connection('db', { config, gateway: bastion })
    await using web = new Connection('web', { config, gateway: bastion })
    await Promise.all([db.run('true'), web.run('true')])
  } // db and web close here; the bastion they borrowed stays open
  const stillOpen = bastion.isConnected // true
  // #endregion borrowed
  return stillOpen
}

/** Lets the Connection build (and own) its jump hops, as `ssh -J bastion db`. */
export async function ownedJump(config: SshConfigSource): Promise<string> {
  // #region proxy-jump
  await using db = new Connection('db', { config, proxyJump: 'bastion' })
  const { stdout } = await db.run('echo via-bastion')
  // closing db closes the hop to bastion it built, after db itself
  // #endregion proxy-jump
  return stdout
}

/** Uses a ProxyCommand given in code, as Fabric's `gateway='…'`. */
export async function proxyCommand(config: SshConfigSource): Promise<string> {
  // #region proxy-command
  await using db = new Connection('db', { config, gateway: 'socat - TCP:%h:%p' })
  const { stdout } = await db.run('echo via-socat')
  // #endregion proxy-command
  return stdout
}

/** Shows the conflict rule: an explicit jump meets ProxyCommand from ssh_config for the same host. */
export function conflict(): GatewayConflictError | undefined {
  // #region conflict
  const config = { text: 'Host db\n  ProxyCommand ssh -W %h:%p other-bastion\n' }
  try {
    new Connection('db', { config, proxyJump: 'bastion' })
  } catch (err) {
    if (err instanceof GatewayConflictError) {
      // err.host === 'db'; err.sources names both; no socket was opened, no process started
      return err
    }
    throw err
  }
  // #endregion conflict
  return undefined
}
