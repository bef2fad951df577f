/**
 * The embedded lab: a small site of SSH servers running inside this process, so the demo and the
 * examples need no sshd, no accounts and no network beyond loopback.
 *
 * ```
 *  you ──TCP──► bastion (127.0.0.1:<port>) ──► inner.lab:22 ──► web.lab:80 (HTTP)
 *                    │                          (Unix socket)
 *                    └──► db.lab:5432 (PostgreSQL, optional; inner.lab reaches it too)
 *  you ──TCP──► mfa (127.0.0.1:<port>, optional: publickey, then a verification code)
 * ```
 *
 * inner.lab listens only on a Unix socket in the lab directory, which only the bastion's
 * direct-tcpip handler opens: there is no way to it except through the bastion. The lab writes
 * the ssh_config, known_hosts and key a user of these hosts would have.
 */
import { randomBytes, randomInt } from 'node:crypto'
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Endpoint } from './host-network.js'
import { startHttpService } from './http-service.js'
import { generateKeyPair } from './keys.js'
import { writeClientFiles, type LabClientFiles } from './lab-files.js'
import { postgresBinDir, startPostgres, type LabPostgres } from './postgres.js'
import { startSshHost, type SshHost } from './ssh-host.js'

/** Configures {@link startLab}. */
export interface LabOptions {
  /** Start a real PostgreSQL as db.lab (needs the PostgreSQL server binaries installed). */
  readonly postgres?: boolean
  /** Start the "mfa" host (publickey, then keyboard-interactive). */
  readonly mfa?: boolean
}

/** A running lab. */
export interface Lab extends LabClientFiles, AsyncDisposable {
  readonly dir: string
  /** The lab user on every host. */
  readonly user: string
  /** That user's password on inner.lab. */
  readonly password: string
  readonly bastion: SshHost
  readonly inner: SshHost
  readonly mfa: (SshHost & { readonly oneTimeCode: string }) | undefined
  /** The database behind the bastion (and inner.lab), as `db.lab:5432`, when started. */
  readonly db: (LabPostgres & { readonly host: string; readonly labPort: number }) | undefined
  /** Stops every server and removes the lab directory; idempotent. */
  close(): Promise<void>
}

/** Starts the lab; see the module comment for its layout. */
export async function startLab(options: LabOptions = {}): Promise<Lab> {
  const dir = await mkdtemp(join(tmpdir(), 'x-ssh-lab-'))
  await chmod(dir, 0o711) // PostgreSQL runs as its own user and must pass through
  const stack: Array<{ close(): Promise<void> }> = []
  const close = async (): Promise<void> => {
    for (const item of stack.splice(0).reverse()) await item.close().catch(() => {})
    await rm(dir, { recursive: true, force: true })
  }
  try {
    const user = 'demo'
    const password = randomBytes(9).toString('base64url')
    const clientKey = generateKeyPair(`${user}@lab`)
    const authorizedKeys = [clientKey.publicLine]
    const web = await startHttpService(join(dir, 'web.sock'))
    stack.push(web)
    const binDir = options.postgres ? postgresBinDir() : undefined
    const pg = binDir ? await startPostgres(binDir, join(dir, 'postgres')) : undefined
    if (pg) stack.push(pg)
    const innerRoutes = new Map<string, Endpoint>([['web.lab:80', { path: web.path }]])
    if (pg) innerRoutes.set('db.lab:5432', { host: '127.0.0.1', port: pg.port })
    const inner = await startSshHost({
      name: 'inner', listen: { path: join(dir, 'inner.sock') }, home: join(dir, 'inner'),
      auth: { user, authorizedKeys, password }, network: { routes: innerRoutes, loopback: true },
    })
    stack.push(inner)
    const bastionRoutes = new Map<string, Endpoint>([['inner.lab:22', { path: join(dir, 'inner.sock') }]])
    if (pg) bastionRoutes.set('db.lab:5432', { host: '127.0.0.1', port: pg.port })
    const bastion = await startSshHost({
      name: 'bastion', listen: { port: 0 }, home: join(dir, 'bastion'), banner: 'bastion: authorized lab users only\n',
      auth: { user, authorizedKeys }, network: { routes: bastionRoutes, loopback: false },
    })
    stack.push(bastion)
    const oneTimeCode = String(randomInt(100_000, 1_000_000))
    const mfaHost = options.mfa
      ? await startSshHost({
          name: 'mfa', listen: { port: 0 }, home: join(dir, 'mfa'),
          auth: { user, authorizedKeys, oneTimeCode, require: ['publickey', 'keyboard-interactive'] }, network: { routes: new Map(), loopback: false },
        })
      : undefined
    if (mfaHost) stack.push(mfaHost)
    const files = await writeClientFiles(dir, {
      user, clientKey, bastion: { port: bastion.port!, hostKey: bastion.hostKey }, inner: { hostKey: inner.hostKey },
      mfa: mfaHost ? { port: mfaHost.port!, hostKey: mfaHost.hostKey } : undefined, oldInnerKey: generateKeyPair('old').publicLine,
    })
    return {
      ...files, dir, user, password, bastion, inner,
      mfa: mfaHost ? Object.assign(mfaHost, { oneTimeCode }) : undefined,
      db: pg ? Object.assign(pg, { host: 'db.lab', labPort: 5432 }) : undefined,
      close,
      [Symbol.asyncDispose]: close,
    }
  } catch (err) {
    await close()
    throw err
  }
}
