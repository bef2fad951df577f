import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { cpus, release } from 'node:os'

const require = createRequire(import.meta.url)

/** Whether ssh2's native crypto binding (ssh2/lib/protocol/crypto/build/Release/sshcrypto.node) loaded. */
export function ssh2BindingLoaded(): boolean {
  const crypto = require('ssh2/lib/protocol/crypto.js') as { bindingAvailable?: boolean }
  return crypto.bindingAvailable === true
}

/** The versions and machine a run reports. */
export interface BenchEnvironment {
  readonly cpu: string
  readonly cores: number
  readonly kernel: string
  readonly node: string
  readonly ssh2: string
  readonly openssh: string
  readonly nativeBinding: boolean
}

/** Reads the machine and versions (cpu model from /proc/cpuinfo, `ssh -V`, ssh2's package.json). */
export function describeEnvironment(): BenchEnvironment {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8')
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown'
  const ssh2Version = (require('ssh2/package.json') as { version: string }).version
  const version = spawnSync('/usr/bin/ssh', ['-V'], { encoding: 'utf8' })
  const openssh = `${version.stderr ?? ''}${version.stdout ?? ''}`.trim() || 'unknown'
  return {
    cpu: model.trim(), cores: cpus().length, kernel: release(), node: process.version,
    ssh2: ssh2Version, openssh, nativeBinding: ssh2BindingLoaded(),
  }
}
