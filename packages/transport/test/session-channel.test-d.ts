// Type-level contract of SessionChannel (issue 12): session requests exist only on session
// channels, so what threw at runtime on a direct-tcpip channel is now a compile error. Checked by
// `tsc -p tsconfig.json` (this file is in the workspace's include; vitest does not run it).
import type { Channel, ExitStatus, SessionChannel, Transport } from '@x/transport'
import type { Readable } from 'node:stream'
import { expectTypeOf } from 'vitest'

declare const t: Transport

// openSession() and openChannel('session') give a SessionChannel with every session request.
expectTypeOf(t.openSession()).resolves.toEqualTypeOf<SessionChannel>()
expectTypeOf(t.openChannel('session')).resolves.toEqualTypeOf<SessionChannel>()
expectTypeOf<SessionChannel>().toExtend<Channel>()
expectTypeOf<SessionChannel['exec']>().returns.toEqualTypeOf<Promise<void>>()
expectTypeOf<SessionChannel['exitStatus']>().returns.toEqualTypeOf<Promise<ExitStatus>>()
expectTypeOf<SessionChannel['stderr']>().toEqualTypeOf<Readable>()

// direct-tcpip and direct-streamlocal give a plain Channel: no exec, no stderr, no exit status.
expectTypeOf(t.openChannel('direct-tcpip', { dest: ['db', 5432] })).resolves.toEqualTypeOf<Channel>()
expectTypeOf(t.openChannel('direct-streamlocal@openssh.com', { dest: ['/run/x.sock'] })).resolves.toEqualTypeOf<Channel>()
for (const method of ['exec', 'invokeShell', 'invokeSubsystem', 'getPty', 'setEnvironmentVariable', 'resizePty', 'sendSignal', 'exitStatus', 'stderr'] as const) {
  expectTypeOf<Channel>().not.toHaveProperty(method)
}

async function directTcpipHasNoExec(): Promise<void> {
  const ch = await t.openChannel('direct-tcpip', { dest: ['db', 5432] })
  // @ts-expect-error exec() exists only on a SessionChannel
  await ch.exec('uptime')
  // @ts-expect-error nor does the exit status
  await ch.exitStatus()
  expectTypeOf(ch.asSocket).toBeFunction()
}
void directTcpipHasNoExec
