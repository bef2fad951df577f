import { chmod, copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startSshd, type SshServerHandle } from '@x/testbed'
import ts from 'typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readRegion } from './support/regions.js'
import { runCommand } from './support/run-command.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const bin = (name: string) => join(root, 'node_modules/.bin', name)
// In build order: each package's build reads the declarations of the ones before it.
const PACKAGES = ['transport', 'gateway', 'ssh-config', 'connection'] as const
const tarballs = new Map<string, string>()
let work = ''

/** Runs a command that must succeed, failing with its output otherwise. */
async function mustRun(file: string, args: readonly string[], cwd: string, timeoutMs: number): Promise<string> {
  const run = await runCommand(file, args, { cwd, timeoutMs })
  if (run.exitCode !== 0) throw new Error(`${file} ${args.join(' ')} → ${run.exitCode}\n${run.stdout}\n${run.stderr}`)
  return run.stdout
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'xssh-pack-'))
  const packs = join(work, 'packs')
  for (const pkg of PACKAGES) {
    const dir = join(root, 'packages', pkg)
    // `pnpm build`, one package at a time, into an empty dist (a stale file from an older build
    // would be packed too), then `pnpm pack` (which rewrites workspace:^ and applies publishConfig).
    await rm(join(dir, 'dist'), { recursive: true, force: true })
    await mustRun(bin('tsc'), ['-p', 'tsconfig.build.json'], dir, 120_000)
    await mustRun('npx', ['-y', 'pnpm@10', 'pack', '--pack-destination', packs], dir, 60_000)
  }
  for (const file of await readdir(packs)) tarballs.set(file.replace(/^x-([\w-]+)-\d+\.\d+\.\d+.*\.tgz$/, '$1'), join(packs, file))
}, 400_000)

afterAll(async () => {
  if (work !== '') await rm(work, { recursive: true, force: true })
})

describe.each(PACKAGES)('the packed @x/%s', (pkg) => {
  it('passes publint --strict', async () => {
    const run = await runCommand(bin('publint'), ['run', tarballs.get(pkg)!, '--strict'], { cwd: work, timeoutMs: 60_000 })
    expect(run.stdout).toContain('All good!')
    expect(run.exitCode).toBe(0)
  }, 90_000)

  it('passes attw with the node16 profile, CommonJS resolution included', async () => {
    // attw 0.18 does not know require(esm) (arethetypeswrong.github.io#252): it reports
    // CJSResolvesToESM for the `default` condition that Node ≥ 20.19 loads with require().
    // That one rule is ignored; the test below requires the package for real.
    const args = [tarballs.get(pkg)!, '--profile', 'node16', '--ignore-rules', 'cjs-resolves-to-esm', '--format', 'json']
    const run = await runCommand(bin('attw'), args, { cwd: work, timeoutMs: 60_000 })
    expect(run.exitCode).toBe(0)
    const report = JSON.parse(run.stdout) as { analysis: { problems: Array<{ kind: string; resolutionKind?: string }> } }
    expect(report.analysis.problems.filter((p) => p.resolutionKind !== 'node10' && p.kind !== 'CJSResolvesToESM')).toEqual([])
  }, 90_000)

  it('ships a manifest without the private @x/testbed', async () => {
    const manifest = JSON.parse(await tarFile(tarballs.get(pkg)!, 'package/package.json')) as Record<string, unknown>
    for (const field of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) {
      expect(Object.keys((manifest[field] ?? {}) as object), field).not.toContain('@x/testbed')
    }
  })

  it('ships declarations that never mention ssh2', async () => {
    const list = await mustRun('tar', ['-tzf', tarballs.get(pkg)!], work, 30_000)
    const declarations = list.split('\n').filter((f) => f.endsWith('.d.ts'))
    expect(declarations).toContain('package/dist/index.d.ts')
    for (const file of declarations) expect(await tarFile(tarballs.get(pkg)!, file), file).not.toMatch(/ssh2/)
  })
})

/** Returns one file of a tarball as text. */
function tarFile(tarball: string, file: string): Promise<string> {
  return mustRun('tar', ['-xOzf', tarball, file], work, 30_000)
}

describe('a fresh project', () => {
  it('installs the tarballs with npm and runs the README example with plain node against a real sshd', async () => {
    const project = join(work, 'fresh')
    await mustRun('mkdir', ['-p', project], work, 5_000)
    await mustRun('npm', ['init', '-y'], project, 30_000)
    await mustRun('npm', ['pkg', 'set', 'type=module'], project, 30_000)
    // ssh2 comes from the registry; --ignore-scripts skips building its optional native binding
    // (ssh2 runs without it, on slower JavaScript paths for two ciphers), so nothing compiles.
    const install = ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', ...PACKAGES.map((p) => tarballs.get(p)!)]
    await mustRun('npm', install, project, 180_000)

    await using sshd = await startSshd()
    const key = join(work, 'id_ed25519')
    await writeFile(key, sshd.clientKeys.ed25519.privateText)
    await chmod(key, 0o600)
    const config = join(work, 'ssh_config')
    await writeFile(config, [
      'Host web1',
      `  HostName ${sshd.host}`,
      `  Port ${sshd.port}`,
      `  User ${sshd.user}`,
      `  IdentityFile ${key}`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${sshd.knownHostsFile}`,
      '',
    ].join('\n'))
    await writeFile(join(project, 'example.js'), await readRegion(join(root, 'release/snippets/readme.ts'), 'readme'))

    const { SSH_AUTH_SOCK: _agent, ...env } = process.env
    const run = await runCommand(process.execPath, ['example.js', config], { cwd: project, env, timeoutMs: 30_000 })
    expect(run.stderr).toBe('')
    expect(run.stdout).toBe('Linux 0\n')
    expect(run.exitCode).toBe(0)
  }, 300_000)
})

describe('two installed copies of @x/transport', () => {
  it('brands its errors: one made by copy A is instanceof copy B\'s class, a plain Error is not, and subclasses stay apart', async () => {
    const project = join(work, 'two-copies')
    await mkdir(join(project, 'b'), { recursive: true })
    // Two tarball files, installed under two names: two copies of every module, as when two
    // dependants each bring their own @x/transport.
    const copy = join(project, 'b', 'x-transport.tgz')
    await copyFile(tarballs.get('transport')!, copy)
    await mustRun('npm', ['init', '-y'], project, 30_000)
    await mustRun('npm', ['pkg', 'set', 'type=module'], project, 30_000)
    const install = ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', `transport-a@file:${tarballs.get('transport')!}`, `transport-b@file:${copy}`]
    await mustRun('npm', install, project, 180_000)
    await copyFile(join(root, 'release/consumer/two-copies.mjs'), join(project, 'two-copies.mjs'))

    const run = await runCommand(process.execPath, ['two-copies.mjs'], { cwd: project, timeoutMs: 30_000 })
    expect(run.stderr).toBe('')
    expect(JSON.parse(run.stdout)).toEqual({
      sameClass: false,
      timeoutIsB: [true, true],
      hostKeyIsA: [true, true],
      timeoutIsHostKey: [false, false],
      raised: ['ERR_SSH_KEY', true, true, false],
      plainError: [false, false, false, false],
      subclass: [true, false, true],
      ownSubclass: [true, true, false],
      guard: [true, true, false],
    })
    expect(run.exitCode).toBe(0)
  }, 240_000)
})

describe('a strict TypeScript consumer that installed the tarballs', () => {
  let project = ''
  let sshd: SshServerHandle
  const files = { config: '', key: '', knownHosts: '', empty: '' }

  beforeAll(async () => {
    project = join(work, 'strict')
    await mkdir(project, { recursive: true })
    await mustRun('npm', ['init', '-y'], project, 30_000)
    await mustRun('npm', ['pkg', 'set', 'type=module'], project, 30_000)
    const install = ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', ...PACKAGES.map((p) => tarballs.get(p)!)]
    await mustRun('npm', install, project, 180_000)
    for (const file of ['connection-user.ts', 'connection-require.cts', 'ssh-config-user.ts', 'errors-narrow.ts']) await copyFile(join(root, 'release/consumer', file), join(project, file))
    await writeFile(join(project, 'readme.ts'), await readRegion(join(root, 'release/snippets/readme.ts'), 'readme'))

    sshd = await startSshd()
    files.key = join(project, 'id_ed25519')
    await writeFile(files.key, sshd.clientKeys.ed25519.privateText)
    await chmod(files.key, 0o600)
    files.knownHosts = sshd.knownHostsFile
    files.empty = join(project, 'known_hosts.empty')
    await writeFile(files.empty, '')
    files.config = join(project, 'ssh_config')
    await writeFile(files.config, `Host web1\n  HostName ${sshd.host}\n  Port ${sshd.port}\n  User ${sshd.user}\n`)
  }, 300_000)

  afterAll(async () => {
    await sshd?.close()
  })

  /** Every .d.ts the tarballs installed. */
  async function publishedDeclarations(): Promise<string[]> {
    const out: string[] = []
    for (const pkg of PACKAGES) {
      const dir = join(project, 'node_modules/@x', pkg, 'dist')
      for (const file of await readdir(dir, { recursive: true })) if (file.endsWith('.d.ts')) out.push(join(dir, file))
    }
    return out
  }

  /** Node's environment without an agent, so that only the options given authenticate. */
  const env = () => {
    const { SSH_AUTH_SOCK: _agent, ...rest } = process.env
    return rest
  }

  it('type-checks the programs and every published .d.ts with strict, exactOptionalPropertyTypes, noUncheckedIndexedAccess and skipLibCheck false', async () => {
    const tsconfig = {
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2022', 'ESNext.Disposable'],
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        skipLibCheck: false,
        types: ['node'],
        typeRoots: [join(root, 'node_modules/@types')],
      },
      files: ['connection-user.ts', 'connection-require.cts', 'ssh-config-user.ts', 'errors-narrow.ts', 'readme.ts', ...(await publishedDeclarations())],
    }
    await writeFile(join(project, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2))
    const run = await runCommand(bin('tsc'), ['-p', 'tsconfig.json'], { cwd: project, timeoutMs: 120_000 })
    expect(run.stdout).toBe('')
    expect(run.exitCode).toBe(0)
  }, 150_000)

  it('runs the compiled ESM program against a real sshd, importing only from @x/connection', async () => {
    const args = [files.config, files.key, files.knownHosts, files.empty]
    const run = await runCommand(process.execPath, ['connection-user.js', ...args], { cwd: project, env: env(), timeoutMs: 60_000 })
    expect(run.stderr).toBe('')
    expect(JSON.parse(run.stdout)).toEqual({ stdout: 'Linux\n', exitCode: 3, reason: 'unknown', keyType: 'ssh-ed25519', fingerprint: 'SHA256:' })
    expect(run.exitCode).toBe(0)
  }, 90_000)

  it("runs the compiled CommonJS program, whose require('@x/connection') loads the ESM build", async () => {
    const run = await runCommand(process.execPath, ['connection-require.cjs', files.config, files.key, files.knownHosts], { cwd: project, env: env(), timeoutMs: 60_000 })
    expect(run.stderr).toBe('')
    expect(JSON.parse(run.stdout)).toEqual({ stdout: 'required\n', failed: 4 })
    expect(run.exitCode).toBe(0)
  }, 90_000)

  it('runs the compiled ESM program that resolves ssh_config with @x/ssh-config alone, as ssh -G would', async () => {
    const config = join(project, 'ssh_config.resolver')
    // IgnoreUnknown lets ssh 9.2 read Apple's UseKeychain too, so that `ssh -G` can be the oracle.
    await writeFile(config, ['IgnoreUnknown UseKeychain', 'Host web*', '  HostName 192.0.2.10', '  Port 2222', '  User deploy', '  IdentityFile ~/.ssh/deploy', '  UseKeychain yes', ''].join('\n'))
    const run = await runCommand(process.execPath, ['ssh-config-user.js', config], { cwd: project, env: env(), timeoutMs: 30_000 })
    expect(run.stderr).toBe('')
    const sshG = new Map((await mustRun('ssh', ['-G', '-F', config, 'web1'], project, 30_000)).split('\n').map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]))
    const printed = JSON.parse(run.stdout) as Record<string, unknown>
    expect([printed['hostname'], printed['port'], printed['user']]).toEqual([sshG.get('hostname'), sshG.get('port'), sshG.get('user')])
    expect(JSON.parse(run.stdout)).toEqual({
      hostname: '192.0.2.10',
      port: '2222',
      user: 'deploy',
      identityFiles: 1,
      warnings: ['usekeychain'],
      refused: { code: 'ERR_SSH_CONFIG', file: 'inline.conf', line: 2 },
      matched: 1,
    })
    expect(run.exitCode).toBe(0)
  }, 60_000)

  it('declares every optional property of the published types as accepting undefined', () => {
    // What the packages' entry points reach: internal modules' declarations are not part of it.
    const entries = PACKAGES.map((pkg) => join(project, 'node_modules/@x', pkg, 'dist/index.d.ts'))
    const program = ts.createProgram(entries, { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, noEmit: true, types: [] })
    const accepts = (n: ts.TypeNode): boolean =>
      n.kind === ts.SyntaxKind.UndefinedKeyword || n.kind === ts.SyntaxKind.AnyKeyword || n.kind === ts.SyntaxKind.UnknownKeyword ||
      (ts.isUnionTypeNode(n) && n.types.some(accepts)) || (ts.isParenthesizedTypeNode(n) && accepts(n.type))
    const strict: string[] = []
    for (const sf of program.getSourceFiles()) {
      if (!sf.fileName.includes('/node_modules/@x/')) continue
      const visit = (node: ts.Node): void => {
        if ((ts.isPropertySignature(node) || ts.isPropertyDeclaration(node)) && node.questionToken && node.type && !accepts(node.type)) {
          strict.push(`${sf.fileName.replace(/.*node_modules\//, '')}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1} ${node.getText(sf)}`)
        }
        ts.forEachChild(node, visit)
      }
      visit(sf)
    }
    expect(strict).toEqual([])
  }, 60_000)

  it('exports from @x/connection every @x/transport, @x/gateway and @x/ssh-config declaration its public types name', () => {
    const entry = join(project, 'node_modules/@x/connection/dist/index.d.ts')
    const program = ts.createProgram([entry], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, noEmit: true, types: [] })
    const checker = program.getTypeChecker()
    const unalias = (s: ts.Symbol): ts.Symbol => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s)
    const exported = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(entry)!)!)
    const exportedNames = new Set(exported.map((s) => s.name))
    const seen = new Set<ts.Symbol>()
    const missing = new Set<string>()
    const queue = exported.map(unalias)
    while (queue.length > 0) {
      const symbol = queue.pop()!
      if (seen.has(symbol)) continue
      seen.add(symbol)
      for (const decl of symbol.declarations ?? []) {
        const pkg = /node_modules\/@x\/([\w-]+)\//.exec(decl.getSourceFile().fileName)?.[1]
        if (pkg === undefined) continue // Node's or TypeScript's own types
        const topLevel = ts.isSourceFile(decl.parent)
        const isExportedThere = topLevel && (ts.getCombinedModifierFlags(decl as ts.Declaration) & ts.ModifierFlags.Export) !== 0
        if (pkg !== 'connection' && isExportedThere && !exportedNames.has(symbol.name)) missing.add(`@x/${pkg}: ${symbol.name}`)
        const visit = (n: ts.Node): void => {
          if (ts.canHaveModifiers(n) && ts.getModifiers(n)?.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword)) return
          const name = ts.isTypeReferenceNode(n) ? n.typeName : ts.isExpressionWithTypeArguments(n) ? n.expression : ts.isTypeQueryNode(n) ? n.exprName : undefined
          const target = name === undefined ? undefined : checker.getSymbolAtLocation(ts.isQualifiedName(name) ? name.right : name)
          if (target !== undefined) queue.push(unalias(target))
          ts.forEachChild(n, visit)
        }
        visit(decl)
      }
    }
    // The transport's base class of Channel and ChannelSocket is not exported by @x/transport
    // either (isExportedThere is about its module, not the package): list it as known.
    missing.delete('@x/transport: ChannelDuplex')
    expect([...missing].sort()).toEqual([])
  }, 60_000)
})
