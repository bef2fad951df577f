// The same library through CommonJS: release/pack.test.ts type-checks this file (module
// nodenext) and runs the emitted .cjs, whose require('@x/connection') loads the ESM build
// through Node's require(esm) (Node ≥ 20.19).
import connection = require('@x/connection')

const { Connection, UnexpectedExitError, knownHosts } = connection

async function main(): Promise<void> {
  const [config, keyPath, knownHostsFile] = process.argv.slice(2)
  const c = new Connection('web1', {
    config,
    auth: { privateKeys: keyPath === undefined ? undefined : [keyPath], agent: false, lookForKeys: false },
    hostKeys: { policy: knownHosts({ files: knownHostsFile === undefined ? undefined : [knownHostsFile] }) },
  })
  try {
    const result = await c.run('echo required', { warn: undefined })
    const failed = await c.run('exit 4').catch((err: unknown) => (err instanceof UnexpectedExitError ? err.result.exitCode : err))
    console.log(JSON.stringify({ stdout: result.stdout, failed }))
  } finally {
    await c.close()
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
