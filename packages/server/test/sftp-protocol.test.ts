import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { openFdCount } from '@x/testbed'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SftpServer } from '../src/index.js'
import { PacketWriter } from '../src/sftp/codec.js'
import { EXTENSIONS, MAX_IO_LENGTH, MAX_PACKET_LENGTH, OpenFlag, Packet, SftpStatus } from '../src/sftp/constants.js'
import { makeTree } from './helpers/tree.js'
import type { Tree } from './helpers/tree.js'
import { stdioServerArgv } from './helpers/openssh-sftp.js'
import { WireClient } from './helpers/wire-client.js'

const status = WireClient.status
/** The bound within which a session must be closed after bad input. */
const CLOSE_BOUND_MS = 2000

const within = <T>(p: Promise<T>, ms = CLOSE_BOUND_MS): Promise<T> =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`not within ${ms} ms`)), ms).unref())])

describe('fsSftp protocol', () => {
  let tree: Tree
  let server: SftpServer
  const content = randomBytes(1024 * 1024)

  beforeAll(async () => {
    tree = await makeTree()
    await writeFile(join(tree.root, 'data.bin'), content)
    server = new SftpServer({ root: tree.root, maxHandles: 4 })
  })

  afterAll(async () => {
    await tree.assertCanaryIntact()
    await tree.remove()
  })

  it("advertises version 3 with OpenSSH sftp-server's extensions", async () => {
    const c = await WireClient.connect(server)
    const ext = await c.init()
    expect([...ext]).toEqual(EXTENSIONS.map(([n, v]) => [n, v]))
    expect([...ext.keys()]).toEqual(expect.arrayContaining([
      'posix-rename@openssh.com', 'statvfs@openssh.com', 'fstatvfs@openssh.com', 'hardlink@openssh.com',
      'fsync@openssh.com', 'lsetstat@openssh.com', 'limits@openssh.com', 'expand-path@openssh.com',
    ]))
    const limits = await c.extended('limits@openssh.com')
    expect(limits.type).toBe(Packet.EXTENDED_REPLY)
    expect([limits.r.uint64(), limits.r.uint64(), limits.r.uint64(), limits.r.uint64()]).toEqual([MAX_PACKET_LENGTH, MAX_IO_LENGTH, MAX_IO_LENGTH, 4])
    expect(await c.end()).toEqual({ reason: 'end' })
  })

  it('answers 300 pipelined READs and STATs, each by its own id, byte-exact', async () => {
    const c = await WireClient.connect(server)
    await c.init()
    const handle = await c.open('data.bin', OpenFlag.READ)
    if (!Buffer.isBuffer(handle)) throw new Error(`open: ${handle}`)
    const chunk = 4096
    const reads = Array.from({ length: 256 }, (_, i) => c.request(Packet.READ, (w) => w.string(handle).uint64(i * chunk).uint32(chunk)))
    const stats = Array.from({ length: 44 }, () => c.request(Packet.STAT, (w) => w.string('/data.bin')))
    const parts = await Promise.all(reads)
    const got = Buffer.concat(parts.map((p) => {
      expect(p.type).toBe(Packet.DATA)
      return Buffer.from(p.r.bytes())
    }))
    expect(got.equals(content)).toBe(true)
    for (const s of await Promise.all(stats)) expect(s.type).toBe(Packet.ATTRS)
    const eof = await c.request(Packet.READ, (w) => w.string(handle).uint64(content.length).uint32(chunk))
    expect(status(eof)).toBe(SftpStatus.EOF)
    expect(status(await c.request(Packet.CLOSE, (w) => w.string(handle)))).toBe(SftpStatus.OK)
    await c.end()
  })

  it('completes pipelined WRITEs before a CLOSE sent right behind them', async () => {
    const c = await WireClient.connect(server)
    await c.init()
    const handle = await c.open('written.bin', OpenFlag.WRITE | OpenFlag.CREAT | OpenFlag.TRUNC)
    if (!Buffer.isBuffer(handle)) throw new Error(`open: ${handle}`)
    const data = randomBytes(64 * 32768)
    const writes = Array.from({ length: 64 }, (_, i) =>
      c.request(Packet.WRITE, (w) => w.string(handle).uint64(i * 32768).string(data.subarray(i * 32768, (i + 1) * 32768))))
    const close = c.request(Packet.CLOSE, (w) => w.string(handle))
    for (const w of await Promise.all(writes)) expect(status(w)).toBe(SftpStatus.OK)
    expect(status(await close)).toBe(SftpStatus.OK)
    const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')
    expect(sha(await readFile(join(tree.root, 'written.bin')))).toBe(sha(data))
    await c.end()
  })

  it('refuses a handle beyond maxHandles and an unknown or closed handle', async () => {
    const c = await WireClient.connect(server)
    await c.init()
    const handles = await Promise.all(Array.from({ length: 4 }, () => c.open('data.bin', OpenFlag.READ)))
    for (const h of handles) expect(Buffer.isBuffer(h)).toBe(true)
    expect(await c.open('data.bin', OpenFlag.READ)).toBe(SftpStatus.FAILURE)
    expect(status(await c.request(Packet.OPENDIR, (w) => w.string('/')))).toBe(SftpStatus.FAILURE)
    const first = handles[0] as Buffer
    expect(status(await c.request(Packet.CLOSE, (w) => w.string(first)))).toBe(SftpStatus.OK)
    expect(status(await c.request(Packet.CLOSE, (w) => w.string(first)))).toBe(SftpStatus.FAILURE)
    expect(status(await c.request(Packet.READ, (w) => w.string(Buffer.from('nope')).uint64(0).uint32(1)))).toBe(SftpStatus.FAILURE)
    await c.end() // the other three are closed with the session
  })

  it('holds the handle cap for pipelined OPENs too', async () => {
    const c = await WireClient.connect(server)
    await c.init()
    const results = await Promise.all(Array.from({ length: 7 }, () => c.open('data.bin', OpenFlag.READ)))
    expect(results.filter((h) => Buffer.isBuffer(h))).toHaveLength(4)
    expect(results.filter((h) => h === SftpStatus.FAILURE)).toHaveLength(3)
    await c.end()
  })

  it('answers OP_UNSUPPORTED to an unknown request type and an unknown extension, and keeps serving', async () => {
    const c = await WireClient.connect(server)
    await c.init()
    expect(status(await c.request(99))).toBe(SftpStatus.OP_UNSUPPORTED)
    expect(status(await c.extended('no-such@example.com'))).toBe(SftpStatus.OP_UNSUPPORTED)
    expect((await c.request(Packet.STAT, (w) => w.string('/'))).type).toBe(Packet.ATTRS)
    await c.end()
  })

  it('closes the session, and its open files, on a garbage packet', async () => {
    const before = openFdCount()
    const c = await WireClient.connect(server)
    await c.init()
    const handle = await c.open('data.bin', OpenFlag.READ)
    expect(Buffer.isBuffer(handle)).toBe(true)
    c.raw(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))
    const end = await within(c.session)
    expect(end.reason).toBe('protocol-error')
    await within(c.closed)
    expect(openFdCount()).toBeLessThanOrEqual(before)
  })

  it('closes the session on a length of 4 GiB without allocating it', async () => {
    const before = openFdCount()
    const memBefore = process.memoryUsage().arrayBuffers
    const c = await WireClient.connect(server)
    await c.init()
    c.raw(Buffer.from([0xff, 0xff, 0xff, 0xff, Packet.WRITE, 0, 0, 0, 1]))
    const end = await within(c.session)
    expect(end.reason).toBe('protocol-error')
    await within(c.closed)
    expect(process.memoryUsage().arrayBuffers - memBefore).toBeLessThan(64 * 1024 * 1024)
    expect(openFdCount()).toBeLessThanOrEqual(before)
  })

  it('closes the session on a truncated request, a request before INIT and a second INIT', async () => {
    const short = await WireClient.connect(server)
    await short.init()
    short.raw(new PacketWriter(Packet.OPEN).uint32(7).uint32(1000).string('ab').finish()) // string length past the end
    expect((await within(short.session)).reason).toBe('protocol-error')
    const early = await WireClient.connect(server)
    early.raw(new PacketWriter(Packet.STAT).uint32(1).string('/').finish())
    expect((await within(early.session)).reason).toBe('protocol-error')
    const twice = await WireClient.connect(server)
    await twice.init()
    twice.raw(new PacketWriter(Packet.INIT).uint32(3).finish())
    expect((await within(twice.session)).reason).toBe('protocol-error')
    await Promise.all([short.closed, early.closed, twice.closed].map((p) => within(p)))
  })

  it('closes the open files of a session whose client vanishes', async () => {
    const before = openFdCount()
    const c = await WireClient.connect(server)
    await c.init()
    for (let i = 0; i < 3; i++) expect(Buffer.isBuffer(await c.open('data.bin', OpenFlag.READ))).toBe(true)
    c.socket.destroy()
    const end = await within(c.session)
    expect(['end', 'closed']).toContain(end.reason)
    expect(openFdCount()).toBeLessThanOrEqual(before)
  })

  it('exits the stdio server process on garbage and on a 4 GiB length, reporting a protocol error', async () => {
    for (const bad of [Buffer.from('SSH-2.0-not-sftp\r\n'), Buffer.from([0xff, 0xff, 0xff, 0xff, Packet.WRITE])]) {
      const [node, ...args] = stdioServerArgv(tree.root)
      const child = spawn(node as string, args, { stdio: ['pipe', 'pipe', 'pipe'] })
      let stderr = ''
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
      child.stdout.resume()
      child.stdin.on('error', () => {})
      child.stdin.write(new PacketWriter(Packet.INIT).uint32(3).finish())
      child.stdin.write(bad) // the stdin pipe stays open: the server itself must end the session
      const [code] = await within(once(child, 'exit'), 30_000)
      child.stdin.destroy()
      expect(code).toBe(3)
      expect(stderr).toContain('protocol-error')
    }
  })
})
