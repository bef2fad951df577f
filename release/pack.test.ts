import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startSshd } from '@x/testbed'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readRegion } from './support/regions.js'
import { runCommand } from './support/run-command.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const bin = (name: string) => join(root, 'node_modules/.bin', name)
const PACKAGES = ['transport', 'gateway', 'connection'] as const
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
    // `pnpm build`, one package at a time, then `pnpm pack` (which rewrites workspace:^ and
    // applies publishConfig).
    await mustRun(bin('tsc'), ['-p', 'tsconfig.build.json'], dir, 120_000)
    await mustRun('npx', ['-y', 'pnpm@10', 'pack', '--pack-destination', packs], dir, 60_000)
  }
  for (const file of await readdir(packs)) tarballs.set(file.replace(/^x-(\w+)-.*$/, '$1'), join(packs, file))
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

  it('passes attw with the esm-only profile', async () => {
    const run = await runCommand(bin('attw'), [tarballs.get(pkg)!, '--profile', 'esm-only', '--format', 'json'], { cwd: work, timeoutMs: 60_000 })
    expect(run.exitCode).toBe(0)
    const report = JSON.parse(run.stdout) as { analysis: { problems: unknown[] } }
    expect(report.analysis.problems.filter(isProblemForEsmOnly)).toEqual([])
  }, 90_000)
})

/** The esm-only profile ignores what a CommonJS `require` or node10 resolution would see. */
function isProblemForEsmOnly(problem: unknown): boolean {
  const kind = (problem as { resolutionKind?: string }).resolutionKind
  return kind !== 'node10' && kind !== 'node16-cjs'
}

describe('a fresh project', () => {
  it('installs the three tarballs with npm and runs the README example with plain node against a real sshd', async () => {
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
